using System.CommandLine;
using Skiff.Runc.CommandLine;
using Skiff.Runtime;

namespace Skiff.Runc.Verbs;

internal sealed class CreateVerb : Verb
{
    private readonly ContainerFlags _flags = new();

    public CreateVerb() : base("create", "create a container", 1, [ContainerId]) => _flags.AddTo(Command);

    protected override RuncCommand Bind(ParseResult result, string[] arguments) =>
        new CreateCommand(_flags.Bind(result, arguments[0]));
}

/// <summary>`create`: sets the container up and leaves its process waiting for `start`.</summary>
internal sealed record CreateCommand(CreateOptions Options) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        session.Runtime.Create(Options);
        return 0;
    }
}
