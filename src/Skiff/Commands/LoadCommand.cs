using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Store;
using Skiff.Images.Transfer;

namespace Skiff.Commands;

/// <summary>skiff load [-i FILE] [-q]</summary>
public static class LoadCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Option<string?> input = new("--input", "-i") { Description = "Read from tar archive file, instead of STDIN" };
        Option<bool> quiet = new("--quiet", "-q") { Description = "Suppress the load output" };
        Command command = new(name, "Load an image from a tar archive (docker-archive or OCI, plain or compressed) or STDIN") { input, quiet };
        command.SetAction((parse, cancellationToken) =>
        {
            string? path = parse.GetValue(input);
            if (path is null && cli.InputIsTerminal)
                throw new ImageException("requested load from stdin, but stdin is empty");
            using ImageService service = cli.Service(parse);
            ITransferProgress progress = parse.GetValue(quiet) || !cli.OutputIsTerminal ? NullProgress.Instance : new ProgressRenderer(cli.Out, true);
            List<LoadedImage> loaded;
            using (Stream stream = path is null ? Console.OpenStandardInput() : OpenInput(path))
                loaded = service.Load(stream, progress, cancellationToken);
            foreach (LoadedImage image in loaded)
            {
                if (image.Names.Count == 0) cli.Out.WriteLine($"Loaded image ID: {image.Image.Id}");
                foreach (string imageName in image.Names) cli.Out.WriteLine($"Loaded image: {ImageCatalog.Familiar(imageName)}");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static FileStream OpenInput(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw new ImageException($"open {path}: no such file or directory");
        }
    }
}
