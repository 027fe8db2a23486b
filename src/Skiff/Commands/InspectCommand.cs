using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Inspect;

namespace Skiff.Commands;

/// <summary>skiff image inspect [-f FORMAT] IMAGE...</summary>
public static class InspectCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string[]> images = new("IMAGE") { Arity = ArgumentArity.OneOrMore, Description = "Images to inspect" };
        Option<string?> format = new("--format", "-f") { Description = "Format output with a Go template, or json" };
        Command command = new(name, "Display detailed information on one or more images") { images, format };
        command.SetAction((parse, _) =>
        {
            using ImageService service = cli.Service(parse);
            List<ImageInspect> found = [];
            int exit = 0;
            foreach (string image in parse.GetValue(images)!)
            {
                try
                {
                    found.Add(service.Inspect(image));
                }
                catch (ImageNotFoundException e)
                {
                    cli.Error.WriteLine($"Error: {e.Message}");
                    exit = 1;
                }
            }
            InspectOutput.Write(cli.Out, found, parse.GetValue(format), InspectJsonContext.Relaxed.ListImageInspect, InspectJsonContext.Relaxed.ImageInspect);
            return Task.FromResult(exit);
        });
        return command;
    }
}
