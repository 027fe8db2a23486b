using System.CommandLine;
using Skiff.Oci.Runtime;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

internal sealed class StateVerb() : Verb("state", "output the state of a container", 1, [ContainerId])
{
    protected override RuncCommand Bind(ParseResult result, string[] arguments) => new StateCommand(arguments[0]);
}

/// <summary>`state`: the runtime-spec state document, indented as runc prints it.</summary>
internal sealed record StateCommand(string Id) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        State state = session.Runtime.State(Id);
        session.Out.Write(state.ToJson(indented: true) + "\n");
        return 0;
    }
}
