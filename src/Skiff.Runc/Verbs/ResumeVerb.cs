using System.CommandLine;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

internal sealed class ResumeVerb() : Verb("resume", "resumes all processes that have been previously paused", 1, [ContainerId])
{
    protected override RuncCommand Bind(ParseResult result, string[] arguments) => new ResumeCommand(arguments[0]);
}

internal sealed record ResumeCommand(string Id) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        session.Runtime.Resume(Id);
        return 0;
    }
}
