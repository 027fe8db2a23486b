using System.CommandLine;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

internal sealed class PauseVerb() : Verb("pause", "pause suspends all processes inside the container", 1, [ContainerId])
{
    protected override RuncCommand Bind(ParseResult result, string[] arguments) => new PauseCommand(arguments[0]);
}

/// <summary>`pause`: freezes the container's cgroup and returns once every process is frozen.</summary>
internal sealed record PauseCommand(string Id) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        session.Runtime.Pause(Id);
        return 0;
    }
}
