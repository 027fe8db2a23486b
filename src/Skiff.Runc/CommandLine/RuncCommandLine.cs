using System.CommandLine;
using System.CommandLine.Help;
using Skiff.Runc.Verbs;

namespace Skiff.Runc.CommandLine;

/// <summary>A parsed command line: the global settings, and what to do.</summary>
internal sealed record Invocation(GlobalSettings Globals, RuncCommand Command);

/// <summary>
/// skiff-runc's command line: runc's global flags and verbs on System.CommandLine, reached
/// through <see cref="GoFlagSyntax"/> so that every spelling runc accepts means the same here.
/// Parsing never runs anything; it yields an <see cref="Invocation"/> a test can inspect.
/// </summary>
internal sealed class RuncCommandLine
{
    private static readonly ParserConfiguration Configuration = new()
    {
        // Go's flag package has neither: `-abc` is one flag, and `@file` is an ordinary word.
        EnablePosixBundling = false,
        ResponseFileTokenReplacer = null,
    };

    // A plain Command rather than RootCommand: RootCommand brings directives and a version option
    // runc does not have, and its help option costs a quarter of a millisecond to construct (it
    // loads localized resources), which every run would pay; it is added only when help is asked for.
    private readonly Command _root = new("skiff-runc", "skiff-runc: an Open Container Initiative runtime with runc's command line");
    private readonly GlobalFlags _globals = new();
    private readonly Dictionary<string, Verb> _verbs = new(StringComparer.Ordinal);

    public RuncCommandLine()
    {
        _globals.AddTo(_root);
        foreach (Verb verb in VerbCatalog.Create())
        {
            _verbs.Add(verb.Name, verb);
            _root.Subcommands.Add(verb.Command);
        }
    }

    public Invocation Parse(IReadOnlyList<string> args)
    {
        GlobalSettings? globals = null;
        try
        {
            List<string> tokens = GoFlagSyntax.Normalize(args, _root, FindVerb);
            if (tokens.Contains(GoFlagSyntax.HelpToken)) AddHelp();
            ParseResult result = _root.Parse(tokens, Configuration);
            globals = _globals.Bind(result);
            if (result.Action is HelpAction) return new Invocation(globals, new HelpCommand(result));
            if (result.GetValue(_globals.Version)) return new Invocation(globals, new VersionCommand());
            // Like runc, no verb at all shows the overview (the parser would call it an error).
            if (result.CommandResult.Command == _root)
            {
                AddHelp();
                return new Invocation(globals, new HelpCommand(_root.Parse([GoFlagSyntax.HelpToken], Configuration)));
            }
            if (result.Errors.Count > 0) throw new CliException(result.Errors[0].Message);
            return new Invocation(globals, _verbs[result.CommandResult.Command.Name].Bind(result));
        }
        catch (CliException e)
        {
            return new Invocation(globals ?? GlobalsOnly(args), new UsageErrorCommand(e.Message));
        }
    }

    private Verb? FindVerb(string name) => _verbs.GetValueOrDefault(name);

    /// <summary>-h/--help for the root and, being recursive, for every verb.</summary>
    private void AddHelp()
    {
        if (!_root.Options.OfType<HelpOption>().Any()) _root.Options.Add(new HelpOption { Recursive = true });
    }

    /// <summary>
    /// The global flags of a command line that failed later on, so that the failure still goes
    /// to the --log file a client reads (runc sets its log up before it looks at the verb).
    /// </summary>
    private GlobalSettings GlobalsOnly(IReadOnlyList<string> args)
    {
        try
        {
            return _globals.Bind(_root.Parse(GoFlagSyntax.NormalizeGlobals(args, _root), Configuration));
        }
        catch (CliException)
        {
            return GlobalSettings.Default;
        }
    }
}
