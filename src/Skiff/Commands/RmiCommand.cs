using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;

namespace Skiff.Commands;

/// <summary>skiff rmi [-f] IMAGE...</summary>
public static class RmiCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string[]> images = new("IMAGE") { Arity = ArgumentArity.OneOrMore, Description = "Images to remove (name, digest or id)" };
        Option<bool> force = new("--force", "-f") { Description = "Force removal of the image" };
        Option<bool> noPrune = new("--no-prune") { Description = "Accepted for compatibility: untagged parents do not exist here" };
        Command command = new(name, "Remove one or more images") { images, force, noPrune };
        command.SetAction((parse, _) =>
        {
            using ImageService service = cli.Service(parse);
            int exit = 0;
            foreach (string image in parse.GetValue(images)!)
            {
                try
                {
                    foreach (string line in service.Remove(image, parse.GetValue(force))) cli.Out.WriteLine(line);
                }
                catch (ImageException e)
                {
                    cli.Error.WriteLine($"Error: {e.Message}");
                    exit = 1;
                }
            }
            return Task.FromResult(exit);
        });
        return command;
    }
}
