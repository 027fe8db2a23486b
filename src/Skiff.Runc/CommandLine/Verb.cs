using System.CommandLine;
using System.CommandLine.Parsing;

namespace Skiff.Runc.CommandLine;

/// <summary>
/// One verb of the command line: its System.CommandLine definition, and how a parse of it
/// becomes a <see cref="RuncCommand"/>. Positional arguments are all optional to the parser and
/// counted here, so a wrong count gets runc's wording instead of a generic parser message.
/// </summary>
internal abstract class Verb
{
    private readonly Argument<string>[] _named;
    private readonly Argument<string[]> _rest;
    private readonly int _minArguments;
    private readonly int _maxArguments;

    /// <param name="positionals">The positional arguments (name, description) for help; the
    /// first <paramref name="minArguments"/> of them are required.</param>
    /// <param name="moreArguments">Whether any number of further arguments may follow.</param>
    protected Verb(string name, string description, int minArguments, (string Name, string Description)[] positionals,
        bool moreArguments = false)
    {
        _minArguments = minArguments;
        _maxArguments = moreArguments ? int.MaxValue : positionals.Length;
        Command = new Command(name, description);
        _named = new Argument<string>[positionals.Length];
        for (int i = 0; i < positionals.Length; i++)
        {
            _named[i] = new Argument<string>(positionals[i].Name)
            {
                Description = positionals[i].Description,
                Arity = ArgumentArity.ZeroOrOne,
            };
            Command.Arguments.Add(_named[i]);
        }
        // Collects what follows the named arguments: either their legitimate tail, or extra words
        // to be counted (and refused) in CheckCount.
        _rest = new Argument<string[]>("arguments") { Arity = ArgumentArity.ZeroOrMore, Hidden = !moreArguments };
        Command.Arguments.Add(_rest);
    }

    /// <summary>The argument nearly every verb takes.</summary>
    protected static readonly (string, string) ContainerId = ("container-id", "your name for the instance of the container");

    public string Name => Command.Name;

    public Command Command { get; }

    /// <summary>
    /// True for a verb that interprets nothing after its name (a verb skiff-runc does not have
    /// yet), so its flags are never judged against flags it does not declare.
    /// </summary>
    public virtual bool TakesRawArguments => false;

    /// <summary>How many positional arguments may be mixed with flags; what follows them is taken verbatim.</summary>
    public virtual int FlagPositionals => int.MaxValue;

    public RuncCommand Bind(ParseResult result)
    {
        var arguments = new List<string>();
        foreach (Argument<string> argument in _named)
            if (result.GetValue(argument) is { } value) arguments.Add(value);
        arguments.AddRange(Words(result.GetResult(_rest)));
        CheckCount(arguments.Count);
        return Bind(result, [.. arguments]);
    }

    protected abstract RuncCommand Bind(ParseResult result, string[] arguments);

    /// <summary>
    /// The words given to a list flag or argument, none when it is absent. Read from its tokens:
    /// the parser's own conversion to string[] makes the array through reflection (Array.CreateInstance),
    /// which would wake the runtime's reflection machinery in every run and exec for nothing.
    /// </summary>
    protected static string[] Words(SymbolResult? given) =>
        given is null ? [] : [.. given.Tokens.Select(t => t.Value)];

    private void CheckCount(int count)
    {
        if (_minArguments == _maxArguments && count != _minArguments)
            throw new CliException($"\"{Name}\" requires exactly {_minArguments} argument(s), got {count}");
        if (count < _minArguments)
            throw new CliException($"\"{Name}\" requires a minimum of {_minArguments} argument(s), got {count}");
        if (count > _maxArguments)
            throw new CliException($"\"{Name}\" requires a maximum of {_maxArguments} argument(s), got {count}");
    }
}
