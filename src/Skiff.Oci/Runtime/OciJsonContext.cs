using System.Text.Json.Serialization;

namespace Skiff.Oci.Runtime;

/// <summary>Source-generated (reflection-free, AOT-safe) JSON for every runtime-spec document.</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(Spec))]
[JsonSerializable(typeof(Process))]
[JsonSerializable(typeof(State))]
[JsonSerializable(typeof(List<State>))]
[JsonSerializable(typeof(Features))]
[JsonSerializable(typeof(LinuxResources))]
[JsonSerializable(typeof(ContainerProcessState))]
public sealed partial class OciJsonContext : JsonSerializerContext;
