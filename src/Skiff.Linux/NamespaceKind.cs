namespace Skiff.Linux;

/// <summary>
/// One kind of Linux namespace: its name in an OCI config, the clone(2)/unshare(2) flag that makes
/// it (also setns(2)'s nstype), and its entry under /proc/PID/ns/.
/// </summary>
public sealed record NamespaceKind(string OciType, long CloneFlag, string ProcFile)
{
    public static readonly NamespaceKind Pid = new("pid", Kernel.CLONE_NEWPID, "pid");
    public static readonly NamespaceKind Network = new("network", Kernel.CLONE_NEWNET, "net");
    public static readonly NamespaceKind Mount = new("mount", Kernel.CLONE_NEWNS, "mnt");
    public static readonly NamespaceKind Ipc = new("ipc", Kernel.CLONE_NEWIPC, "ipc");
    public static readonly NamespaceKind Uts = new("uts", Kernel.CLONE_NEWUTS, "uts");
    public static readonly NamespaceKind User = new("user", Kernel.CLONE_NEWUSER, "user");
    public static readonly NamespaceKind Cgroup = new("cgroup", Kernel.CLONE_NEWCGROUP, "cgroup");
    public static readonly NamespaceKind Time = new("time", Kernel.CLONE_NEWTIME, "time");

    /// <summary>Every kind, in the order the OCI runtime spec lists them.</summary>
    public static IReadOnlyList<NamespaceKind> All { get; } = [Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time];

    /// <summary>
    /// setns(2) order for joining several: the user namespace first, so the rest are joined with the
    /// rights it grants.
    /// </summary>
    public static IReadOnlyList<NamespaceKind> JoinOrder { get; } = [User, Ipc, Uts, Network, Pid, Mount, Cgroup, Time];

    /// <summary>The kind an OCI config names, or null for a name that is not a namespace.</summary>
    public static NamespaceKind? FromOciType(string? type) => All.FirstOrDefault(k => k.OciType == type);

    /// <summary>/proc/PID/ns/ entry of this namespace for a process.</summary>
    public string ProcPath(int pid) => $"/proc/{pid}/ns/{ProcFile}";
}
