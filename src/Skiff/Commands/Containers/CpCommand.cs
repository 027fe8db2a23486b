using System.CommandLine;
using Skiff.Cli;
using Skiff.Engine;

namespace Skiff.Commands.Containers;

/// <summary>skiff cp [-a] [-L] CONTAINER:SRC DEST|-, skiff cp [-a] [-L] SRC|- CONTAINER:DEST.</summary>
public static class CpCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> source = new("SRC") { Description = "CONTAINER:SRC_PATH, a host path, or - for a tar stream on STDIN" };
        Argument<string> destination = new("DEST") { Description = "CONTAINER:DEST_PATH, a host path, or - for a tar stream on STDOUT" };
        Option<bool> archive = new("--archive", "-a") { Description = "Keep uid and gid (otherwise what is copied belongs to the receiving side's root or user)" };
        Option<bool> follow = new("--follow-link", "-L") { Description = "Follow SRC if it is a symlink" };
        Command command = new(name, "Copy files between a container and the host, or to and from a tar stream") { source, destination, archive, follow };
        command.SetAction(parse =>
        {
            string from = parse.GetValue(source)!, to = parse.GetValue(destination)!;
            (string? fromContainer, string fromPath) = Split(from);
            (string? toContainer, string toPath) = Split(to);
            if (fromContainer is not null && toContainer is not null) throw new EngineException("copying between containers is not supported", 1);
            if (fromContainer is null && toContainer is null) throw new EngineException("must specify at least one container source", 1);
            using EngineSession session = cli.Engine(parse);
            if (fromContainer is not null)
            {
                if (to != "-")
                {
                    Report(cli, session.Engine.CopyFromContainer(fromContainer, fromPath, toPath, null, parse.GetValue(follow), parse.GetValue(archive)), toPath);
                    return 0;
                }
                if (cli.OutputIsTerminal) throw new EngineException("cowardly refusing to write a tar stream to a terminal", 1);
                using Stream stdout = Console.OpenStandardOutput();
                session.Engine.CopyFromContainer(fromContainer, fromPath, "-", stdout, parse.GetValue(follow), parse.GetValue(archive));
                return 0;
            }
            using Stream? stdin = from == "-" ? Console.OpenStandardInput() : null;
            long copied = session.Engine.CopyToContainer(toContainer!, fromPath, stdin, toPath, parse.GetValue(follow), parse.GetValue(archive));
            if (stdin is null) Report(cli, copied, $"{toContainer}:{toPath}");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Docker's closing line, on stderr and only on a terminal (its progress output is suppressed
    /// otherwise): the size of the archive that was copied, in Docker's decimal units.
    /// </summary>
    private static void Report(CliContext cli, long bytes, string destination)
    {
        if (Skiff.Linux.Interop.Libc.IsATty(2) != 1) return;
        cli.Error.WriteLine($"Successfully copied {HumanSize(bytes)} to {destination}");
    }

    /// <summary>go-units' HumanSize: powers of 1000, four significant digits (2048 is 2.048kB).</summary>
    public static string HumanSize(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
        double size = bytes;
        int unit = 0;
        while (size >= 1000 && unit < units.Length - 1)
        {
            size /= 1000;
            unit++;
        }
        return size.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) + units[unit];
    }

    /// <summary>
    /// "CONTAINER:PATH" names a container's path; "-", and anything that starts like a host path
    /// ("/x", "./x:y") or has no colon, is the host's.
    /// </summary>
    private static (string? Container, string Path) Split(string argument)
    {
        if (argument == "-" || argument.StartsWith('/') || argument.StartsWith('.')) return (null, argument);
        int colon = argument.IndexOf(':');
        if (colon <= 0) return (null, argument);
        return (argument[..colon], argument[(colon + 1)..]);
    }
}
