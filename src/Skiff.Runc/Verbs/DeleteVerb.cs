using System.CommandLine;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

internal sealed class DeleteVerb : Verb
{
    private readonly Option<bool> _force = new("--force", "-f")
    {
        Description = "forcibly deletes the container if it is still running (uses SIGKILL)",
    };

    public DeleteVerb() : base("delete", "delete any resources held by the container often used with detached container",
        1, [ContainerId]) => Command.Options.Add(_force);

    protected override RuncCommand Bind(ParseResult result, string[] arguments) =>
        new DeleteCommand(arguments[0], result.GetValue(_force));
}

internal sealed record DeleteCommand(string Id, bool Force) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        session.Runtime.Delete(Id, Force);
        return 0;
    }
}
