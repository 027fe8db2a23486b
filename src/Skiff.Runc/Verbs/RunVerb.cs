using System.CommandLine;
using Skiff.Runc.CommandLine;
using Skiff.Runtime;

namespace Skiff.Runc.Verbs;

internal sealed class RunVerb : Verb
{
    private readonly ContainerFlags _flags = new();

    private readonly Option<bool> _detach = new("--detach", "-d") { Description = "detach from the container's process" };

    private readonly Option<bool> _keep = new("--keep")
    {
        Description = "do not delete the container after it exits",
    };

    private readonly Option<bool> _noSubreaper = new("--no-subreaper")
    {
        Description = "disable the use of the subreaper used to reap reparented processes",
    };

    public RunVerb() : base("run", "create and run a container", 1, [ContainerId])
    {
        _flags.AddTo(Command);
        Command.Options.Add(_detach);
        Command.Options.Add(_keep);
        Command.Options.Add(_noSubreaper);
    }

    protected override RuncCommand Bind(ParseResult result, string[] arguments) =>
        new RunCommand(_flags.Bind(result, arguments[0]), result.GetValue(_detach), result.GetValue(_keep),
            result.GetValue(_noSubreaper));
}

/// <summary>`run`: create and start; unless detached, wait and return the container's exit status.</summary>
internal sealed record RunCommand(CreateOptions Options, bool Detach, bool Keep, bool NoSubreaper) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        // skiff waits on the container's init directly, so it has no subreaper to turn off.
        if (NoSubreaper) session.Log.Debug("--no-subreaper is accepted for compatibility and ignored");
        return session.Runtime.Run(Options with { Keep = Keep }, Detach);
    }
}
