using System.CommandLine;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

/// <summary>
/// A runc verb skiff-runc does not have yet. It exists so that clients get a clear answer
/// rather than "not a command"; each is replaced by its own Verb file when it lands.
/// </summary>
internal sealed class PendingVerb(string name, string description)
    : Verb(name, description + " (not implemented yet in skiff-runc)", 0, [], moreArguments: true)
{
    public override bool TakesRawArguments => true;

    protected override RuncCommand Bind(ParseResult result, string[] arguments) => new PendingCommand(Name);
}

internal sealed record PendingCommand(string Verb) : RuncCommand
{
    public override int Execute(RuncSession session) =>
        throw new CliException($"\"{Verb}\" is not implemented yet in skiff-runc");
}
