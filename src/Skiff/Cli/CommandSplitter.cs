using System.CommandLine;

namespace Skiff.Cli;

/// <summary>
/// Docker stops reading its own flags at the image of `run`/`create` and the container of `exec`:
/// everything after belongs to the container's command (`skiff run busybox ls -l` passes -l to ls).
/// System.CommandLine reads options anywhere, so a "--" is put after that first positional.
/// </summary>
public static class CommandSplitter
{
    private static readonly string[] Verbs = ["run", "create", "exec"];

    public static string[] Split(RootCommand root, string[] args)
    {
        Command current = root;
        for (int i = 0; i < args.Length; i++)
        {
            string token = args[i];
            if (token == "--") return args;
            if (token.StartsWith('-'))
            {
                if (!token.Contains('=') && TakesValue(current, token)) i++;
                continue;
            }
            Command? sub = current.Subcommands.FirstOrDefault(c => c.Name == token || c.Aliases.Contains(token));
            if (sub is not null)
            {
                current = sub;
                continue;
            }
            // The first positional of a verb whose command line follows it.
            // (`volume create NAME -o ...` is no container verb: its flags may follow the name.)
            bool containerVerb = Verbs.Contains(current.Name) && current.Parents.FirstOrDefault() is RootCommand or Command { Name: "container" };
            return containerVerb && i + 1 < args.Length ? [.. args[..(i + 1)], "--", .. args[(i + 1)..]] : args;
        }
        return args;
    }

    private static bool TakesValue(Command command, string token)
    {
        IEnumerable<Option> options = command.Options.Concat(Ancestors(command));
        Option? option = options.FirstOrDefault(o => o.Name == token || o.Aliases.Contains(token));
        if (option is null && token.Length > 2 && token[1] != '-')
        {
            // Bundled short flags (-it, -dit): only the last may take a value.
            string last = "-" + token[^1];
            option = options.FirstOrDefault(o => o.Name == last || o.Aliases.Contains(last));
        }
        return option is not null && option.ValueType != typeof(bool);
    }

    private static IEnumerable<Option> Ancestors(Command command) =>
        command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive).Concat(Ancestors(p)));
}
