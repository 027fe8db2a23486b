using System.CommandLine;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Images.Store;

namespace Skiff.Commands.Containers;

/// <summary>skiff commit [-a AUTHOR] [-c CHANGE]... [-m MESSAGE] [--pause=false] CONTAINER [REPOSITORY[:TAG]].</summary>
public static class CommitCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER") { Description = "Container (name or id)" };
        Argument<string?> repository = new("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne, Description = "Name for the new image" };
        Option<string?> author = new("--author", "-a") { Description = "Author of the new image, e.g. \"Jane Doe <jane@example.com>\"" };
        Option<string[]> changes = new("--change", "-c") { Description = "A Dockerfile instruction that changes the new image's config (CMD, ENV, LABEL...)", AllowMultipleArgumentsPerToken = false };
        Option<string?> message = new("--message", "-m") { Description = "Commit message" };
        Option<bool> pause = new("--pause", "-p") { Description = "Freeze a running container while its layer is archived", DefaultValueFactory = _ => true };
        Command command = new(name, "Make an image of a container's changes") { container, repository, author, changes, message, pause };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            ImageRecord image = session.Engine.Commit(parse.GetValue(container)!, parse.GetValue(repository), new CommitRequest
            {
                Changes = parse.GetValue(changes) ?? [],
                Message = parse.GetValue(message),
                Author = parse.GetValue(author),
            }, parse.GetValue(pause));
            cli.Out.WriteLine(image.Id);
            return 0;
        });
        return command;
    }
}
