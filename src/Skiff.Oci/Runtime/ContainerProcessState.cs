using System.Text.Json.Serialization;

namespace Skiff.Oci.Runtime;

/// <summary>
/// What a runtime sends to linux.seccomp.listenerPath with the seccomp notify fd (runtime-spec
/// config-linux.md "seccomp"): the names of the fds in the SCM_RIGHTS array, in order, the
/// process's pid as the runtime sees it, the listenerMetadata, and the container's state.
/// </summary>
public sealed class ContainerProcessState
{
    /// <summary>The name the spec gives the seccomp notify fd in <see cref="Fds"/>.</summary>
    public const string SeccompFdName = "seccompFd";

    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = SpecVersion.Current;
    [JsonPropertyName("fds")] public List<string> Fds { get; set; } = [];
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("metadata")] public string? Metadata { get; set; }
    [JsonPropertyName("state")] public State State { get; set; } = new();
}
