using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Transfer;

namespace Skiff.Commands;

/// <summary>skiff save [-o FILE] [--format docker-archive|oci-archive] IMAGE...</summary>
public static class SaveCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string[]> images = new("IMAGE") { Arity = ArgumentArity.OneOrMore, Description = "Images to save (name, digest or id)" };
        Option<string?> output = new("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        Option<string> format = new("--format")
        {
            Description = "docker-archive (docker save's layout, which is also an OCI layout) or oci-archive",
            DefaultValueFactory = _ => "docker-archive",
        };
        format.AcceptOnlyFromAmong("docker-archive", "oci-archive");
        Command command = new(name, "Save one or more images to a tar archive (streamed to STDOUT by default)") { images, output, format };
        command.SetAction((parse, _) =>
        {
            ArchiveFormat archiveFormat = parse.GetValue(format) == "oci-archive" ? ArchiveFormat.OciArchive : ArchiveFormat.DockerArchive;
            string? path = parse.GetValue(output);
            if (path is null && cli.OutputIsTerminal)
                throw new ImageException("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            using ImageService service = cli.Service(parse);
            string[] names = parse.GetValue(images)!;
            if (path is null)
            {
                using Stream stdout = Console.OpenStandardOutput();
                service.Save(names, stdout, archiveFormat);
                return Task.FromResult(0);
            }
            // Written beside the target and renamed: a failed save leaves no truncated archive behind.
            string temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
            try
            {
                using (FileStream file = new(temporary, FileMode.Create, FileAccess.Write))
                    service.Save(names, file, archiveFormat);
                File.Move(temporary, path, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
