using System.CommandLine;
using Skiff.Commands;
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

        Command image = new("image", "Manage images");
        foreach ((Func<CliContext, string, Command> verb, string name) in (ReadOnlySpan<(Func<CliContext, string, Command>, string)>)[
            (PullCommand.Create, "pull"), (PushCommand.Create, "push"), (ImagesCommand.Create, "ls"), (ImagesCommand.Create, "list"),
            (InspectCommand.Create, "inspect"), (RmiCommand.Create, "rm"), (RmiCommand.Create, "remove"), (TagCommand.Create, "tag"),
            (PruneCommand.Create, "prune"), (SaveCommand.Create, "save"), (LoadCommand.Create, "load"), (ImportCommand.Create, "import"),
            (HistoryCommand.Create, "history"), (ImportBusyboxCommand.Create, "import-busybox")])
        {
            image.Subcommands.Add(verb(cli, name));
        }
        root.Subcommands.Add(image);

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

    public static async Task<int> RunAsync(string[] args, CliContext cli)
    {
        ParseResult parse = Build(cli).Parse(args);
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
