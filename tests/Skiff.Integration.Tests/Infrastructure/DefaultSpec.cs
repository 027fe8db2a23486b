using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// The config a test starts from: `runc spec`'s defaults (namespaces, mounts, capabilities, masked
/// and read-only paths) with terminal off, a writable root, and the test's own cgroupsPath. The
/// cgroup mount and linux.resources are left out here: they get their own tests, so one missing
/// feature does not fail every test.
/// </summary>
public static class DefaultSpec
{
    public static readonly string[] DefaultCapabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

    public static readonly string[] DefaultMaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
    ];

    public static readonly string[] DefaultReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public static Spec Create(string hostname, string cgroupsPath) => new()
    {
        OciVersion = SpecVersion.Current,
        Process = new Process
        {
            Terminal = false,
            User = new User { Uid = 0, Gid = 0 },
            Args = ["sh", "-c", "true"],
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
        Root = new Root { Path = "rootfs", Readonly = false },
        Hostname = hostname,
        Mounts =
        [
            new Mount { Destination = "/proc", Type = "proc", Source = "proc" },
            new Mount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            new Mount { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
            new Mount { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
            new Mount { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
            new Mount { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", "ro"] },
        ],
        Linux = new Linux
        {
            Namespaces =
            [
                new LinuxNamespace { Type = "pid" },
                new LinuxNamespace { Type = "network" },
                new LinuxNamespace { Type = "ipc" },
                new LinuxNamespace { Type = "uts" },
                new LinuxNamespace { Type = "mount" },
            ],
            CgroupsPath = cgroupsPath,
            MaskedPaths = [.. DefaultMaskedPaths],
            ReadonlyPaths = [.. DefaultReadonlyPaths],
        },
    };
}
