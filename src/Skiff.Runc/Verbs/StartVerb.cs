using System.CommandLine;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

internal sealed class StartVerb() : Verb("start", "executes the user defined process in a created container", 1, [ContainerId])
{
    protected override RuncCommand Bind(ParseResult result, string[] arguments) => new StartCommand(arguments[0]);
}

internal sealed record StartCommand(string Id) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        session.Runtime.Start(Id);
        return 0;
    }
}
