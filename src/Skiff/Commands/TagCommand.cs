using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;

namespace Skiff.Commands;

/// <summary>skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]</summary>
public static class TagCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> source = new("SOURCE_IMAGE[:TAG]") { Description = "An existing image (name, digest or id)" };
        Argument<string> target = new("TARGET_IMAGE[:TAG]") { Description = "The new name" };
        Command command = new(name, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE") { source, target };
        command.SetAction((parse, _) =>
        {
            using ImageService service = cli.Service(parse);
            service.Tag(parse.GetValue(source)!, parse.GetValue(target)!);
            return Task.FromResult(0);
        });
        return command;
    }
}
