using Skiff.Oci.Runtime;

namespace Skiff.Engine.Spec;

/// <summary>What Docker gives every container unless told otherwise.</summary>
public static class DockerDefaults
{
    public static readonly string[] Capabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static readonly string[] MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ];

    public static readonly string[] ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public const string Path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public const long ShmSize = 64L << 20;

    /// <summary>The device cgroup: everything denied, then the devices every container has (and mknod of any char/block node).</summary>
    public static List<DeviceCgroupRule> DeviceRules() =>
    [
        new() { Allow = false, Access = "rwm" },
        new() { Allow = true, Type = "c", Access = "m" },
        new() { Allow = true, Type = "b", Access = "m" },
        new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },   // null
        new() { Allow = true, Type = "c", Major = 1, Minor = 5, Access = "rwm" },   // zero
        new() { Allow = true, Type = "c", Major = 1, Minor = 7, Access = "rwm" },   // full
        new() { Allow = true, Type = "c", Major = 1, Minor = 8, Access = "rwm" },   // random
        new() { Allow = true, Type = "c", Major = 1, Minor = 9, Access = "rwm" },   // urandom
        new() { Allow = true, Type = "c", Major = 5, Minor = 0, Access = "rwm" },   // tty
        new() { Allow = true, Type = "c", Major = 5, Minor = 1, Access = "rwm" },   // console
        new() { Allow = true, Type = "c", Major = 5, Minor = 2, Access = "rwm" },   // ptmx
        new() { Allow = true, Type = "c", Major = 136, Access = "rwm" },            // pts/*
        new() { Allow = true, Type = "c", Major = 10, Minor = 200, Access = "rwm" }, // net/tun
    ];

    public static List<Mount> Mounts(long shmSize) =>
    [
        new() { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
        new() { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
        new() { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
        new() { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", "ro"] },
        new() { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["nosuid", "noexec", "nodev", "relatime", "ro"] },
        new() { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
        new() { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", $"size={shmSize}"] },
    ];
}
