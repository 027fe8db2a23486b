using System.CommandLine;
using Skiff.Commands;
using Skiff.Commands.Containers;
using Skiff.Engine;
using Skiff.Images;

namespace Skiff.Cli;

/// <summary>
/// The `skiff` command tree. Each verb lives in its own file under Commands/ and is registered
/// here; `skiff image VERB` reuses the same factories as the top-level shortcuts, as Docker does.
/// </summary>
public static class SkiffCommandLine
{
    public static RootCommand Build(CliContext cli)
    {
        RootCommand root = new("skiff: a daemonless, Docker-compatible container engine");
        root.Options.Add(cli.Root);
        root.Options.Add(cli.RegistriesConfig);
        root.Options.Add(cli.EngineConfig);

        Command image = new("image", "Manage images");
        foreach ((Func<CliContext, string, Command> verb, string name, string? alias) in (ReadOnlySpan<(Func<CliContext, string, Command>, string, string?)>)[
            (PullCommand.Create, "pull", null), (PushCommand.Create, "push", null), (ImagesCommand.Create, "ls", "list"),
            (InspectCommand.Create, "inspect", null), (RmiCommand.Create, "rm", "remove"), (TagCommand.Create, "tag", null),
            (PruneCommand.Create, "prune", null), (SaveCommand.Create, "save", null), (LoadCommand.Create, "load", null),
            (ImportCommand.Create, "import", null), (HistoryCommand.Create, "history", null), (ImportBusyboxCommand.Create, "import-busybox", null)])
        {
            Command command = verb(cli, name);
            if (alias is not null) command.Aliases.Add(alias);
            image.Subcommands.Add(command);
        }
        root.Subcommands.Add(image);

        Command container = new("container", "Manage containers");
        foreach (Command verb in ContainerVerbs(cli, longForm: true)) container.Subcommands.Add(verb);
        container.Subcommands.Add(LifecycleCommands.Cleanup(cli, "cleanup"));
        container.Subcommands.Add(HealthcheckCommands.Monitor(cli));
        root.Subcommands.Add(container);
        foreach (Command verb in ContainerVerbs(cli, longForm: false)) root.Subcommands.Add(verb);
        root.Subcommands.Add(ContainerInspectCommand.Create(cli, "inspect", null));
        root.Subcommands.Add(HealthcheckCommands.Group(cli));
        root.Subcommands.Add(SystemCommands.VersionCommand(cli));
        root.Subcommands.Add(SystemCommands.Info(cli));
        root.Subcommands.Add(EventsCommand.Create(cli));
        root.Subcommands.Add(DiskCommands.Group(cli));
        root.Subcommands.Add(VolumeCommands.Create(cli));
        root.Subcommands.Add(NetworkCommands.Create(cli));

        root.Subcommands.Add(PullCommand.Create(cli, "pull"));
        root.Subcommands.Add(PushCommand.Create(cli, "push"));
        root.Subcommands.Add(ImagesCommand.Create(cli, "images"));
        root.Subcommands.Add(RmiCommand.Create(cli, "rmi"));
        root.Subcommands.Add(TagCommand.Create(cli, "tag"));
        root.Subcommands.Add(SaveCommand.Create(cli, "save"));
        root.Subcommands.Add(LoadCommand.Create(cli, "load"));
        root.Subcommands.Add(ImportCommand.Create(cli, "import"));
        root.Subcommands.Add(HistoryCommand.Create(cli, "history"));
        root.Subcommands.Add(LoginCommand.Create(cli, "login"));
        root.Subcommands.Add(LogoutCommand.Create(cli, "logout"));
        return root;
    }

    /// <summary>The container verbs, as `skiff VERB` and as `skiff container VERB` (where ls and rm are the names).</summary>
    private static IEnumerable<Command> ContainerVerbs(CliContext cli, bool longForm)
    {
        yield return RunCommand.Create(cli, "run", start: true);
        yield return RunCommand.Create(cli, "create", start: false);
        yield return LifecycleCommands.Start(cli, "start");
        yield return LifecycleCommands.Attach(cli, "attach");
        yield return LifecycleCommands.Stop(cli, "stop", restart: false);
        yield return LifecycleCommands.Stop(cli, "restart", restart: true);
        yield return LifecycleCommands.Kill(cli, "kill");
        yield return LifecycleCommands.Wait(cli, "wait");
        yield return LifecycleCommands.Pause(cli, "pause", pause: true);
        yield return LifecycleCommands.Pause(cli, "unpause", pause: false);
        yield return LogsCommand.Create(cli, "logs");
        yield return InfoCommands.Rename(cli, "rename");
        yield return InfoCommands.Port(cli, "port");
        yield return InfoCommands.Top(cli, "top");
        yield return InfoCommands.Stats(cli, "stats");
        yield return InfoCommands.Update(cli, "update");
        yield return ExecCommand.Create(cli, "exec");
        yield return CpCommand.Create(cli, "cp");
        yield return ExportCommand.Create(cli, "export");
        yield return DiffCommand.Create(cli, "diff");
        yield return CommitCommand.Create(cli, "commit");
        if (longForm)
        {
            Command ps = PsCommand.Create(cli, "ls");
            ps.Aliases.Add("ps");
            ps.Aliases.Add("list");
            yield return ps;
            yield return LifecycleCommands.Remove(cli, "rm");
            yield return ContainerInspectCommand.Create(cli, "inspect", "container");
            yield return InfoCommands.Prune(cli, "prune");
        }
        else
        {
            yield return PsCommand.Create(cli, "ps");
            yield return LifecycleCommands.Remove(cli, "rm");
        }
    }

    public static async Task<int> RunAsync(string[] args, CliContext cli)
    {
        RootCommand rootCommand = Build(cli);
        ParseResult parse = rootCommand.Parse(CommandSplitter.Split(rootCommand, args));
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) cli.Error.WriteLine($"Error: {error.Message}");
            cli.Error.WriteLine("See 'skiff --help'.");
            return 125;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = cli.Out, Error = cli.Error, EnableDefaultExceptionHandler = false });
        }
        catch (EngineException e)
        {
            cli.Error.WriteLine($"Error: {e.Message}");
            return e.ExitCode;
        }
        catch (ImageException e)
        {
            cli.Error.WriteLine($"Error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            cli.Error.WriteLine("Error: canceled");
            return 130;
        }
        catch (IOException e)
        {
            cli.Error.WriteLine($"Error: {e.Message}");
            return 1;
        }
        catch (UnauthorizedAccessException e)
        {
            cli.Error.WriteLine($"Error: {e.Message}");
            return 1;
        }
    }
}
