using Skiff.Oci.Runtime;

namespace Skiff.Runtime;

/// <summary>Global settings every verb shares (runc's global flags).</summary>
public sealed record RuntimeOptions(string Root, bool SystemdCgroup = false, bool Debug = false)
{
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
