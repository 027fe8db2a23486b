namespace Skiff.Oci.Runtime;

/// <summary>
/// The starting config.json that `spec` writes: the same defaults users know from `runc spec`
/// (an interactive `sh`, three capabilities, the usual /proc, /dev and /sys mounts, masked and
/// read-only /proc paths), so a bundle made by either tool behaves the same under both.
/// </summary>
public static class DefaultSpec
{
    private static readonly string[] DefaultCapabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

    private static readonly string[] MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
        // Newer runc masks it too: RAPL energy counters leak what other tenants compute (CVE-2020-8694).
        "/sys/devices/virtual/powercap",
    ];

    private static readonly string[] ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>A spec for a container started by root.</summary>
    public static Spec Create() => new()
    {
        OciVersion = SpecVersion.Current,
        Process = new Process
        {
            Terminal = true,
            User = new User { Uid = 0, Gid = 0 },
            Args = ["sh"],
            Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            Cwd = "/",
            Capabilities = new Capabilities
            {
                Bounding = [.. DefaultCapabilities],
                Effective = [.. DefaultCapabilities],
                Permitted = [.. DefaultCapabilities],
                Ambient = [.. DefaultCapabilities],
            },
            Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Hard = 1024, Soft = 1024 }],
            NoNewPrivileges = true,
        },
        Root = new Root { Path = "rootfs", Readonly = true },
        Hostname = "skiff",
        Mounts =
        [
            new Mount { Destination = "/proc", Type = "proc", Source = "proc" },
            new Mount
            {
                Destination = "/dev", Type = "tmpfs", Source = "tmpfs",
                Options = ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            new Mount
            {
                Destination = "/dev/pts", Type = "devpts", Source = "devpts",
                Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
            },
            new Mount
            {
                Destination = "/dev/shm", Type = "tmpfs", Source = "shm",
                Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
            },
            new Mount
            {
                Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue",
                Options = ["nosuid", "noexec", "nodev"],
            },
            new Mount
            {
                Destination = "/sys", Type = "sysfs", Source = "sysfs",
                Options = ["nosuid", "noexec", "nodev", "ro"],
            },
            new Mount
            {
                Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup",
                Options = ["nosuid", "noexec", "nodev", "relatime", "ro"],
            },
        ],
        Linux = new Linux
        {
            Resources = new LinuxResources { Devices = [new DeviceCgroupRule { Allow = false, Access = "rwm" }] },
            Namespaces =
            [
                new LinuxNamespace { Type = "pid" },
                new LinuxNamespace { Type = "network" },
                new LinuxNamespace { Type = "ipc" },
                new LinuxNamespace { Type = "uts" },
                new LinuxNamespace { Type = "mount" },
            ],
            MaskedPaths = [.. MaskedPaths],
            ReadonlyPaths = [.. ReadonlyPaths],
        },
    };

    /// <summary>
    /// A spec an unprivileged user can run: a user namespace mapping root in the container to the
    /// caller, and nothing that needs real root on the host: it keeps the host's network (an
    /// unprivileged user cannot wire up a new one), binds the host's sysfs, and sets no devpts
    /// group and no device cgroup.
    /// </summary>
    public static Spec CreateRootless(uint hostUid, uint hostGid)
    {
        Spec spec = Create();
        Linux linux = spec.Linux!;
        linux.Resources = null;
        linux.Namespaces!.RemoveAll(n => n.Type == "network");
        linux.Namespaces.Add(new LinuxNamespace { Type = "user" });
        linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = hostUid, Size = 1 }];
        linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = hostGid, Size = 1 }];

        foreach (Mount mount in spec.Mounts!)
        {
            if (mount.Destination == "/dev/pts")
                mount.Options!.Remove("gid=5"); // group 5 does not exist in a one-id user namespace
            else if (mount.Destination == "/sys")
            {
                // Mounting a new sysfs needs a network namespace the user owns: bind the host's instead.
                mount.Type = "none";
                mount.Source = "/sys";
                mount.Options!.Insert(0, "rbind");
            }
        }
        return spec;
    }
}
