using System.Text.Json.Serialization;
using Skiff.Engine.Health;

namespace Skiff.Engine.Containers;

/// <summary>
/// What the user asked for with <c>create</c>/<c>run</c>, kept as given: the OCI config is generated
/// from it and the image's config at every start, as Docker does, so an image's defaults and the
/// engine's stay the source of truth for what was not asked.
/// </summary>
public sealed class ContainerRequest
{
    public string Image { get; set; } = "";
    /// <summary>Replaces the image's CMD when not null.</summary>
    public List<string>? Cmd { get; set; }
    /// <summary>Replaces the image's ENTRYPOINT when not null; an empty list clears it (<c>--entrypoint ""</c>).</summary>
    public List<string>? Entrypoint { get; set; }
    public List<string> Env { get; set; } = [];
    public string? WorkingDir { get; set; }
    public string? User { get; set; }
    public List<string> GroupAdd { get; set; } = [];
    public string? Hostname { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public bool Tty { get; set; }
    public bool OpenStdin { get; set; }
    /// <summary>Docker's StdinOnce (an attached run -i): the container's stdin closes when the client's does; otherwise it stays open across detach and attach.</summary>
    public bool StdinOnce { get; set; }
    public bool AutoRemove { get; set; }
    public bool ReadOnlyRootfs { get; set; }
    public bool Privileged { get; set; }
    public bool Init { get; set; }
    public List<string> CapAdd { get; set; } = [];
    public List<string> CapDrop { get; set; } = [];
    public List<string> SecurityOpt { get; set; } = [];
    public List<MountRequest> Mounts { get; set; } = [];
    /// <summary>--device HOST[:CONTAINER][:PERMS].</summary>
    public List<string> Devices { get; set; } = [];
    /// <summary>--device-cgroup-rule "TYPE MAJOR:MINOR PERMS".</summary>
    public List<string> DeviceCgroupRules { get; set; } = [];
    public Dictionary<string, string> Sysctls { get; set; } = [];
    public List<UlimitRequest> Ulimits { get; set; } = [];
    public ResourceRequest Resources { get; set; } = new();
    public long? ShmSize { get; set; }
    public string? StopSignal { get; set; }
    public int? StopTimeout { get; set; }
    public RestartPolicy RestartPolicy { get; set; } = new();
    public string LogDriver { get; set; } = "k8s-file";
    public Dictionary<string, string> LogOptions { get; set; } = [];
    public string? Runtime { get; set; }
    public int? OomScoreAdj { get; set; }
    public string? PidMode { get; set; }
    public string? IpcMode { get; set; }
    public string? UtsMode { get; set; }
    /// <summary>--userns: "host" (no user namespace) or null, the engine's default, which is also the host's.</summary>
    public string? UsernsMode { get; set; }
    public string? DetachKeys { get; set; }
    /// <summary>--health-* flags, laid over the image's HEALTHCHECK.</summary>
    public HealthCheckConfig? Healthcheck { get; set; }
    public bool NoHealthcheck { get; set; }
    /// <summary>The cgroup the container's cgroup is made under; null: the engine config's.</summary>
    public string? CgroupParent { get; set; }
    /// <summary>--network, -p and the DNS flags; null: the engine's default network.</summary>
    public Skiff.Engine.Network.NetworkRequest? Network { get; set; }
}

public sealed class MountRequest
{
    /// <summary>bind, volume or tmpfs.</summary>
    public string Type { get; set; } = "bind";
    public string? Source { get; set; }
    public string Target { get; set; } = "";
    public bool ReadOnly { get; set; }
    public List<string> Options { get; set; } = [];
    /// <summary>Given with --mount: inspect lists those apart from -v's HostConfig.Binds, as Docker does.</summary>
    public bool MountSyntax { get; set; }
}

public sealed class UlimitRequest
{
    public string Name { get; set; } = "";
    public ulong Soft { get; set; }
    public ulong Hard { get; set; }
}

public sealed class ResourceRequest
{
    public long? Memory { get; set; }
    public long? MemorySwap { get; set; }
    public long? MemoryReservation { get; set; }
    public long? NanoCpus { get; set; }
    public ulong? CpuShares { get; set; }
    public string? CpusetCpus { get; set; }
    public long? PidsLimit { get; set; }
}

public sealed class RestartPolicy
{
    /// <summary>no, on-failure, always, unless-stopped.</summary>
    public string Name { get; set; } = "no";
    public int MaximumRetryCount { get; set; }
}

/// <summary>Docker's container states, as <c>ps --filter status=</c> and <c>inspect</c> name them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ContainerStatus>))]
public enum ContainerStatus
{
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

/// <summary>What a container is doing now, and what its last run did.</summary>
public sealed class ContainerState
{
    public ContainerStatus Status { get; set; } = ContainerStatus.Created;
    public int Pid { get; set; }
    /// <summary>When the process at <see cref="Pid"/> started (/proc/PID/stat field 22), so a pid the kernel has given to another process is not taken for it; 0 when not known.</summary>
    public ulong PidStartTime { get; set; }
    public int ConmonPid { get; set; }
    public int ExitCode { get; set; }
    public bool OomKilled { get; set; }
    public string Error { get; set; } = "";
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Set by <c>stop</c>/<c>kill</c>: a restart policy does not bring the container back (Docker's rule).</summary>
    public bool StoppedByUser { get; set; }
    public int RestartCount { get; set; }
    /// <summary>Restarts since the last run of 10 s or more: the restart policy's backoff doubles with each.</summary>
    public int QuickRestarts { get; set; }
    /// <summary>The health of this run, when the container has a health check.</summary>
    public HealthState? Health { get; set; }
    /// <summary>Whether the rootfs overlay is mounted and the runtime holds a container of this id.</summary>
    public bool Mounted { get; set; }
}

/// <summary>One container: its identity, request and state, as stored in the engine's database.</summary>
public sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string ImageId { get; set; } = "";
    public DateTimeOffset Created { get; set; }
    public ContainerRequest Request { get; set; } = new();
    public ContainerState State { get; set; } = new();
    /// <summary>The runtime executable this container was created with: later verbs talk to the same one.</summary>
    public string RuntimePath { get; set; } = "";

    public string ShortId => Id[..12];
}
