using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Store;

namespace Skiff.Commands;

/// <summary>skiff image prune [-a] [-f]</summary>
public static class PruneCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Option<bool> all = new("--all", "-a") { Description = "Remove all images not used by a container, not just dangling ones" };
        Option<bool> force = new("--force", "-f") { Description = "Do not prompt for confirmation" };
        Command command = new(name, "Remove unused images") { all, force };
        command.SetAction((parse, _) =>
        {
            bool everything = parse.GetValue(all);
            if (!parse.GetValue(force))
            {
                cli.Out.Write(everything
                    ? "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "
                    : "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ");
                cli.Out.Flush();
                if (cli.In.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes")) return Task.FromResult(0);
            }
            using ImageService service = cli.Service(parse);
            (List<ImageRecord> removed, long reclaimed) = service.Prune(everything);
            if (removed.Count > 0)
            {
                cli.Out.WriteLine("Deleted Images:");
                foreach (ImageRecord image in removed)
                {
                    foreach (string tag in image.RepoTags) cli.Out.WriteLine($"untagged: {ImageCatalog.Familiar(tag)}");
                    foreach (string digest in image.RepoDigests) cli.Out.WriteLine($"untagged: {ImageCatalog.Familiar(digest)}");
                    cli.Out.WriteLine($"deleted: {image.Id}");
                }
                cli.Out.WriteLine();
            }
            cli.Out.WriteLine($"Total reclaimed space: {Units.HumanSize(reclaimed)}");
            return Task.FromResult(0);
        });
        return command;
    }
}
