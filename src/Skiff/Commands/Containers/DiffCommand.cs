using System.CommandLine;
using Skiff.Cli;
using Skiff.Engine.Files;

namespace Skiff.Commands.Containers;

/// <summary>skiff diff CONTAINER: A, C and D lines for what the container changed.</summary>
public static class DiffCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER") { Description = "Container (name or id)" };
        Command command = new(name, "List the paths a container added (A), changed (C) and deleted (D)") { container };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            foreach (FileChange change in session.Engine.Diff(parse.GetValue(container)!)) cli.Out.WriteLine(change);
            return 0;
        });
        return command;
    }
}
