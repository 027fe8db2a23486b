using System.Text.Json.Serialization;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Store;

/// <summary>What skiff-runc keeps about a container under --root/&lt;id&gt;/state.json.</summary>
public sealed class ContainerRecord
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("rootfs")] public string Rootfs { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    /// <summary>The init process's start time in clock ticks (/proc/pid/stat field 22): a pid alone may be reused.</summary>
    [JsonPropertyName("pidStartTime")] public ulong PidStartTime { get; set; }
    [JsonPropertyName("status")] public string Status { get; set; } = ContainerStatus.Creating;
    [JsonPropertyName("created")] public DateTimeOffset Created { get; set; }
    [JsonPropertyName("owner")] public string Owner { get; set; } = "";
    [JsonPropertyName("cgroupsPath")] public string CgroupsPath { get; set; } = "";
    /// <summary>
    /// The creating runtime's /proc/self/cgroup when cgroupsPath is relative: every later verb resolves
    /// the path from there, wherever it runs itself (runc keeps its resolved cgroup paths for the same reason).
    /// </summary>
    [JsonPropertyName("creatorCgroup")] public string? CreatorCgroup { get; set; }
    /// <summary>create's --no-new-keyring, which exec follows too.</summary>
    [JsonPropertyName("noNewKeyring")] public bool NoNewKeyring { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    /// <summary>Hooks that run after create: kept here because the bundle may be gone by then.</summary>
    [JsonPropertyName("hooks")] public Hooks? Hooks { get; set; }

    public Oci.Runtime.State ToState(string status) => new()
    {
        Id = Id, Status = status, Pid = status is ContainerStatus.Stopped ? 0 : Pid, Bundle = Bundle, Annotations = Annotations,
    };
}

[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerRecord))]
internal sealed partial class StateJsonContext : JsonSerializerContext;

/// <summary>
/// state.json of a record with hooks, which <see cref="StateFile"/> leaves to generated code: it
/// writes the record field by field, without the metadata of its types that reading needs.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(ContainerRecord))]
internal sealed partial class StateJsonWriterContext : JsonSerializerContext;
