using System.CommandLine;

namespace Skiff.Runc.CommandLine;

/// <summary>
/// Rewrites a command line written for runc into the one canonical form handed to
/// System.CommandLine. runc parses with Go's flag package (through urfave/cli), which accepts
/// `-flag` and `--flag` alike, `-flag=value`, `-flag value`, booleans as `-flag` or
/// `-flag=false`, flags after the positional arguments of a verb, and lets the last repeat of a
/// flag win. Clients rely on all of it, so this pass accepts exactly that, and rejects what Go
/// rejects with Go's wording. Its output is `[global flags] verb [verb flags] [-- arguments]`
/// with every flag spelled by its long name.
/// </summary>
internal static class GoFlagSyntax
{
    public const string HelpToken = "--help";

    /// <param name="args">The command line after the program name.</param>
    /// <param name="root">The root command, whose options are the global flags.</param>
    /// <param name="findVerb">Finds a verb by name, or returns null.</param>
    public static List<string> Normalize(IReadOnlyList<string> args, Command root, Func<string, Verb?> findVerb)
    {
        var tokens = new List<string>();
        int next = ReadFlags(args, 0, root, stopAtPositional: true, tokens, positionals: null);
        if (next >= args.Count) return tokens;

        string name = args[next];
        if (name is "help" or "h")
        {
            // `help` alone is the overview; `help VERB` is the verb's page.
            if (next + 1 < args.Count) tokens.Add(FindVerb(args[next + 1], findVerb).Name);
            tokens.Add(HelpToken);
            return tokens;
        }

        Verb verb = FindVerb(name, findVerb);
        tokens.Add(verb.Name);
        var positionals = new List<string>();
        if (verb.TakesRawArguments)
            for (int i = next + 1; i < args.Count; i++) positionals.Add(args[i]);
        else
            ReadFlags(args, next + 1, verb.Command, stopAtPositional: false, tokens, positionals, verb.FlagPositionals);

        if (positionals.Count > 0)
        {
            tokens.Add("--");
            tokens.AddRange(positionals);
        }
        return tokens;
    }

    /// <summary>Only the global flags before the verb, for reporting a failure in the rest.</summary>
    public static List<string> NormalizeGlobals(IReadOnlyList<string> args, Command root)
    {
        var tokens = new List<string>();
        ReadFlags(args, 0, root, stopAtPositional: true, tokens, positionals: null);
        return tokens;
    }

    private static Verb FindVerb(string name, Func<string, Verb?> findVerb) =>
        findVerb(name) ?? throw new CliException($"\"{name}\" is not a skiff-runc command (see skiff-runc --help)");

    /// <summary>
    /// Reads the flags of one command from <paramref name="start"/>, appends them in canonical
    /// form to <paramref name="tokens"/>, and returns the index where reading stopped.
    /// </summary>
    /// <param name="flagPositionals">After this many positional arguments, the rest are the
    /// verb's arguments verbatim, flags included (exec's command line after the container id).</param>
    private static int ReadFlags(IReadOnlyList<string> args, int start, Command command, bool stopAtPositional,
        List<string> tokens, List<string>? positionals, int flagPositionals = int.MaxValue)
    {
        // Last one wins, as in Go; the order of first appearance is kept for readable tokens.
        var values = new List<(Option Option, string Value)>();
        bool help = false;
        bool verbatimStarted = false;
        int i = start;
        for (; i < args.Count; i++)
        {
            string arg = args[i];
            if (positionals is not null && positionals.Count >= flagPositionals)
            {
                // A "--" that opens the verbatim part is only a separator.
                bool opensVerbatim = positionals.Count == flagPositionals && !verbatimStarted;
                verbatimStarted = true;
                if (!(opensVerbatim && arg == "--")) positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                i++;
                if (stopAtPositional) break;
                for (; i < args.Count; i++) positionals!.Add(args[i]);
                break;
            }
            if (arg.Length < 2 || arg[0] != '-')
            {
                if (stopAtPositional) break;
                positionals!.Add(arg);
                continue;
            }

            string body = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            if (body.Length == 0 || body[0] == '-' || body[0] == '=')
                throw new CliException($"bad flag syntax: {arg}");
            int equals = body.IndexOf('=');
            string name = equals < 0 ? body : body[..equals];
            string? inline = equals < 0 ? null : body[(equals + 1)..];

            if (name is "help" or "h")
            {
                help = true;
                continue;
            }

            Option option = Find(command, name)
                ?? throw new CliException($"flag provided but not defined: -{name}");
            string value;
            if (option.ValueType == typeof(bool))
            {
                bool on = inline is null || (ParseGoBool(inline)
                    ?? throw new CliException($"invalid boolean value \"{inline}\" for -{name}: parse error"));
                value = on ? "true" : "false";
            }
            else if (inline is not null)
                value = inline;
            else if (i + 1 < args.Count)
                value = args[++i];
            else
                throw new CliException($"flag needs an argument: -{name}");

            // A list flag (urfave's StringSlice) collects every repeat.
            int seen = option.ValueType == typeof(string[]) ? -1 : values.FindIndex(v => v.Option == option);
            if (seen >= 0) values[seen] = (option, value);
            else values.Add((option, value));
        }

        foreach ((Option option, string value) in values)
        {
            // An explicit false is kept: a few flags (exec's --no-new-privs) mean something only when given.
            if (option.ValueType == typeof(bool))
                tokens.Add(value == "true" ? option.Name : option.Name + "=false");
            // An empty value means the flag's default for every flag runc has.
            else if (value.Length > 0)
                tokens.Add(option.Name + "=" + value);
        }
        if (help) tokens.Add(HelpToken);
        return i;
    }

    private static Option? Find(Command command, string name)
    {
        foreach (Option option in command.Options)
        {
            if (Matches(option.Name, name)) return option;
            foreach (string alias in option.Aliases)
                if (Matches(alias, name)) return option;
        }
        return null;
    }

    private static bool Matches(string spelled, string name) =>
        spelled.AsSpan().TrimStart('-').SequenceEqual(name);

    /// <summary>Go's strconv.ParseBool, which the flag package uses for `-flag=value`.</summary>
    internal static bool? ParseGoBool(string text) => text switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };
}
