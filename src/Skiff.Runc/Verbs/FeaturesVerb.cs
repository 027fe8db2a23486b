using System.CommandLine;
using System.Text.Json;
using Skiff.Oci.Runtime;
using Skiff.Runc.CommandLine;
using Skiff.Runtime;

namespace Skiff.Runc.Verbs;

internal sealed class FeaturesVerb() : Verb("features", "show the enabled features", 0, [])
{
    protected override RuncCommand Bind(ParseResult result, string[] arguments) => new FeaturesCommand();
}

/// <summary>`features`: the runtime-spec features document for what skiff honours.</summary>
internal sealed record FeaturesCommand : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        session.Out.Write(JsonSerializer.Serialize(FeaturesReport.Build(), OciJsonContext.Default.Features) + "\n");
        return 0;
    }
}
