using System.Text.Json.Serialization;
using Skiff.Engine.Containers;

namespace Skiff.Engine.Inspect;

/// <summary>`skiff inspect` of a container, in Docker's shape (the fields scripts read).</summary>
public sealed class ContainerInspect
{
    public string Id { get; set; } = "";
    public string Created { get; set; } = "";
    public string Path { get; set; } = "";
    public List<string> Args { get; set; } = [];
    public InspectState State { get; set; } = new();
    public string Image { get; set; } = "";
    public string ResolvConfPath { get; set; } = "";
    public string HostnamePath { get; set; } = "";
    public string HostsPath { get; set; } = "";
    public string LogPath { get; set; } = "";
    public string Name { get; set; } = "";
    public int RestartCount { get; set; }
    public string Driver { get; set; } = "overlay";
    public string Platform { get; set; } = "linux";
    public InspectConfig Config { get; set; } = new();
    public InspectHostConfig HostConfig { get; set; } = new();
    public List<InspectMount> Mounts { get; set; } = [];
    public InspectNetworkSettings NetworkSettings { get; set; } = new();
}

public sealed class InspectState
{
    public string Status { get; set; } = "";
    public bool Running { get; set; }
    public bool Paused { get; set; }
    public bool Restarting { get; set; }
    public bool OOMKilled { get; set; }
    public bool Dead { get; set; }
    public int Pid { get; set; }
    public int ExitCode { get; set; }
    public string Error { get; set; } = "";
    public string StartedAt { get; set; } = "0001-01-01T00:00:00Z";
    public string FinishedAt { get; set; } = "0001-01-01T00:00:00Z";
    public Skiff.Engine.Health.HealthState? Health { get; set; }
}

public sealed class InspectConfig
{
    public string Hostname { get; set; } = "";
    public string User { get; set; } = "";
    public bool Tty { get; set; }
    public bool OpenStdin { get; set; }
    public List<string> Env { get; set; } = [];
    public List<string> Cmd { get; set; } = [];
    public string Image { get; set; } = "";
    public string WorkingDir { get; set; } = "";
    public List<string>? Entrypoint { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public string? StopSignal { get; set; }
    public int? StopTimeout { get; set; }
}

public sealed class InspectHostConfig
{
    public bool AutoRemove { get; set; }
    public bool Privileged { get; set; }
    public bool ReadonlyRootfs { get; set; }
    public bool Init { get; set; }
    public List<string> Binds { get; set; } = [];
    public List<string> CapAdd { get; set; } = [];
    public List<string> CapDrop { get; set; } = [];
    public List<string> SecurityOpt { get; set; } = [];
    public long Memory { get; set; }
    public long MemorySwap { get; set; }
    public long MemoryReservation { get; set; }
    public long NanoCpus { get; set; }
    public ulong CpuShares { get; set; }
    public string CpusetCpus { get; set; } = "";
    public long? PidsLimit { get; set; }
    public long ShmSize { get; set; }
    public string Runtime { get; set; } = "";
    public string CgroupParent { get; set; } = "";
    public string NetworkMode { get; set; } = "none";
    public RestartPolicy RestartPolicy { get; set; } = new();
    public InspectLogConfig LogConfig { get; set; } = new();
}

public sealed class InspectLogConfig
{
    public string Type { get; set; } = "";
    public Dictionary<string, string> Config { get; set; } = [];
}

public sealed class InspectMount
{
    public string Type { get; set; } = "";
    /// <summary>The volume's name (volumes only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Name { get; set; }
    public string Source { get; set; } = "";
    public string Destination { get; set; } = "";
    /// <summary>The volume's driver (volumes only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Driver { get; set; }
    public string Mode { get; set; } = "";
    public bool RW { get; set; }
    public string Propagation { get; set; } = "";
}

public sealed class InspectNetworkSettings
{
    public Dictionary<string, List<PortBinding>?> Ports { get; set; } = [];
    public string IPAddress { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string MacAddress { get; set; } = "";
    public string SandboxKey { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public Dictionary<string, Skiff.Engine.Network.InspectEndpoint> Networks { get; set; } = [];
}

public sealed class PortBinding
{
    public string HostIp { get; set; } = "";
    public string HostPort { get; set; } = "";
}

/// <summary>A row of `skiff ps`, its --format fields named as Docker's.</summary>
public sealed class ContainerListRow
{
    public string ID { get; set; } = "";
    public string Image { get; set; } = "";
    public string Command { get; set; } = "";
    public string CreatedAt { get; set; } = "";
    public string RunningFor { get; set; } = "";
    public string Status { get; set; } = "";
    public string State { get; set; } = "";
    public string Ports { get; set; } = "";
    public string Names { get; set; } = "";
    public string Labels { get; set; } = "";
    public string Size { get; set; } = "";
    public string Mounts { get; set; } = "";
    public string Networks { get; set; } = "";
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<ContainerInspect>))]
[JsonSerializable(typeof(ContainerListRow))]
[JsonSerializable(typeof(Skiff.Engine.Stats.StatsRow))]
[JsonSerializable(typeof(ContainerInspect))]
[JsonSerializable(typeof(List<System.Text.Json.JsonElement>))]
public sealed partial class ContainerInspectJsonContext : JsonSerializerContext;
