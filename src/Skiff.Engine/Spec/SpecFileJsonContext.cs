using System.Text.Json.Serialization;

namespace Skiff.Engine.Spec;

/// <summary>
/// config.json as the engine writes it on every start: serialization only, so the generated code
/// writes the spec directly instead of first building the metadata of every type in it (about 4 ms
/// of CPU per start, measured with perf). Same shape as the runtime's own context, which reads it.
/// </summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Serialization,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Skiff.Oci.Runtime.Spec))]
internal sealed partial class SpecFileJsonContext : JsonSerializerContext;
