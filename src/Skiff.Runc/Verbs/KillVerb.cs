using System.CommandLine;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

internal sealed class KillVerb : Verb
{
    private readonly Option<bool> _all = new("--all", "-a")
    {
        Description = "send the specified signal to all processes inside the container",
    };

    public KillVerb() : base("kill", "kill sends the specified signal (default: SIGTERM) to the container's init process",
        1, [ContainerId, ("signal", "a signal name (KILL, SIGKILL) or number; SIGTERM when omitted")]) => Command.Options.Add(_all);

    protected override RuncCommand Bind(ParseResult result, string[] arguments) =>
        new KillCommand(arguments[0], arguments.Length > 1 ? SignalName.Parse(arguments[1]) : Skiff.Linux.Signal.SIGTERM,
            result.GetValue(_all));
}

internal sealed record KillCommand(string Id, int Signal, bool All) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        session.Runtime.Kill(Id, Signal, All);
        return 0;
    }
}
