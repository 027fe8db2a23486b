using System.CommandLine;
using Skiff.Cli;
using Skiff.Engine;

namespace Skiff.Commands.Containers;

/// <summary>skiff export [-o FILE] CONTAINER.</summary>
public static class ExportCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER") { Description = "Container (name or id)" };
        Option<string?> output = new("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        Command command = new(name, "Export a container's filesystem as a tar archive") { container, output };
        command.SetAction(parse =>
        {
            string? path = parse.GetValue(output);
            if (path is null && cli.OutputIsTerminal)
                throw new EngineException("cowardly refusing to save to a terminal. Use the -o flag or redirect", 1);
            using EngineSession session = cli.Engine(parse);
            if (path is null)
            {
                using Stream stdout = Console.OpenStandardOutput();
                session.Engine.Export(parse.GetValue(container)!, stdout);
                return 0;
            }
            // Written beside the target and renamed: a failed export leaves no truncated archive behind.
            string temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
            try
            {
                using (FileStream file = new(temporary, FileMode.Create, FileAccess.Write))
                    session.Engine.Export(parse.GetValue(container)!, file);
                File.Move(temporary, path, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
            return 0;
        });
        return command;
    }
}
