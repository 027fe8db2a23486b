using Skiff.Oci.Runtime;

namespace Skiff.Runtime;

/// <summary>Global settings every verb shares (runc's global flags).</summary>
public sealed record RuntimeOptions(string Root, bool SystemdCgroup = false, bool Debug = false)
{
    /// <summary>
    /// Re-execute from a sealed view of the binary before anything enters a container
    /// (<see cref="SealedExecutable"/>). Only the runtime's own executable sets it: a host process
    /// that uses this library in-process (a test host) must not be replaced by itself.
    /// </summary>
    public bool SealBinary { get; init; }

    public const string DefaultRoot = "/run/skiff-runc";
}

/// <summary>What `create` and `run` are asked to do.</summary>
public sealed record CreateOptions(string Id, string BundlePath)
{
    public string? PidFile { get; init; }
    public string? ConsoleSocket { get; init; }
    public bool NoPivot { get; init; }
    public bool NoNewKeyring { get; init; }
    public int PreserveFds { get; init; }
    /// <summary>`run --keep`: leave the stopped container in place instead of deleting it.</summary>
    public bool Keep { get; init; }
}

/// <summary>One row of `list`.</summary>
public sealed record ContainerSummary(State State, string Rootfs, DateTimeOffset Created, string Owner);

/// <summary>A failure whose Message is the one-line error a user sees (runc style).</summary>
public class RuntimeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// What `exec` is asked to run. Without ProcessPath the process is the container's own process
/// (from its stored config) with Args and the flags laid over it, as runc builds it.
/// </summary>
public sealed record ExecOptions(string Id)
{
    public string? ProcessPath { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];
    public bool Tty { get; init; }
    public string? ConsoleSocket { get; init; }
    public bool Detach { get; init; }
    public string? PidFile { get; init; }
    public string? Cwd { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    /// <summary>"uid" or "uid:gid".</summary>
    public string? User { get; init; }
    public IReadOnlyList<uint> AdditionalGids { get; init; } = [];
    public IReadOnlyList<string> Caps { get; init; } = [];
    public bool? NoNewPrivileges { get; init; }
    public string? Apparmor { get; init; }
    public string? ProcessLabel { get; init; }
    public int PreserveFds { get; init; }
    public bool IgnorePaused { get; init; }
    /// <summary>
    /// runc's --cgroup, each a sub-cgroup of the container's: "path" for every hierarchy not named
    /// otherwise, "cpu,memory:path" for those v1 controllers' hierarchies.
    /// </summary>
    public IReadOnlyList<string> Cgroups { get; init; } = [];
}
