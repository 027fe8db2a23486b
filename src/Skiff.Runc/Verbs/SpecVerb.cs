using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

internal sealed class SpecVerb : Verb
{
    private readonly Option<string> _bundle = new("--bundle", "-b")
    {
        Description = "path to the root of the bundle directory",
    };

    private readonly Option<bool> _rootless = new("--rootless")
    {
        Description = "generate a configuration for a rootless container",
    };

    public SpecVerb() : base("spec", "create a new specification file", 0, [])
    {
        Command.Options.Add(_bundle);
        Command.Options.Add(_rootless);
    }

    protected override RuncCommand Bind(ParseResult result, string[] arguments) =>
        new SpecCommand(Path.GetFullPath(result.GetValue(_bundle) ?? "."), result.GetValue(_rootless));
}

/// <summary>`spec`: writes a starting config.json into the bundle, never over an existing one.</summary>
internal sealed record SpecCommand(string Bundle, bool Rootless) : RuncCommand
{
    public const string FileName = "config.json";

    public override int Execute(RuncSession session)
    {
        if (!Directory.Exists(Bundle))
            throw new CliException($"bundle {Bundle}: no such directory");

        Spec spec = Rootless ? DefaultSpec.CreateRootless(Interop.Libc.GetEUid(), Interop.Libc.GetEGid()) : DefaultSpec.Create();
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(spec, TabIndentedSpec);
        try
        {
            // CreateNew: the existence check and the creation are one step, so a concurrent
            // writer's file is never overwritten either.
            using var file = new FileStream(Path.Combine(Bundle, FileName), FileMode.CreateNew, FileAccess.Write);
            file.Write(json);
        }
        catch (IOException) when (File.Exists(Path.Combine(Bundle, FileName)))
        {
            throw new CliException($"File {FileName} exists. Remove it first");
        }
        return 0;
    }

    /// <summary>Tabs, as `runc spec` indents, so the two tools' files diff cleanly.</summary>
    private static JsonTypeInfo<Spec> TabIndentedSpec =>
        (JsonTypeInfo<Spec>)new JsonSerializerOptions(OciJsonContext.Default.Options) { IndentCharacter = '\t', IndentSize = 1 }
            .GetTypeInfo(typeof(Spec));
}
