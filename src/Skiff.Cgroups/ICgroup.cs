using Skiff.Cgroups.Events;
using Skiff.Cgroups.Stats;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups;

/// <summary>One container's cgroup, across every hierarchy of the host that matters to it.</summary>
public interface ICgroup
{
    /// <summary>The cleaned cgroupsPath: "/skiff/abc" when absolute, "abc" when relative to this process's own cgroups.</summary>
    string Path { get; }

    /// <summary>The cgroup's directory in the cgroup2 hierarchy (for clone3's CLONE_INTO_CGROUP), or null on a v1-only host.</summary>
    string? UnifiedDirectory { get; }

    /// <summary>Makes the directory in every hierarchy, parents too; a cgroup that already exists is reused.</summary>
    void Create();

    /// <summary>
    /// Writes a container's whole resource configuration at creation: every resource set in r, and the
    /// device rules r lists followed by runc's default allowed devices (also when r is null), so a
    /// container never starts with access to every host device.
    /// </summary>
    void Apply(LinuxResources? r);

    /// <summary>
    /// Changes the resources set in r and leaves the rest as they are (the `update` verb); device rules
    /// are rewritten only when r lists some.
    /// </summary>
    void Update(LinuxResources r);

    /// <summary>Puts a process into the cgroup in every hierarchy.</summary>
    void AddProcess(int pid);

    /// <summary>
    /// Puts a process that clone3 started in <see cref="UnifiedDirectory"/> (CLONE_INTO_CGROUP) into the
    /// cgroup's other hierarchies: the v1 ones on a hybrid host, none on a pure v2 host. Writing the
    /// unified cgroup.procs again would cost a migration for nothing.
    /// </summary>
    void AddProcessBesidesUnified(int pid);

    /// <summary>Every process in the cgroup and its descendants, sorted.</summary>
    IReadOnlyList<int> Processes();

    /// <summary>Freezes every process and returns once the kernel reports the cgroup frozen.</summary>
    void Freeze();

    void Thaw();

    bool IsFrozen();

    /// <summary>
    /// Removes the cgroup (and cgroups created inside it) in every hierarchy, retrying briefly while the
    /// kernel still reports it busy; parents are removed only if this object created them.
    /// </summary>
    void Destroy();

    /// <summary>What to show inside the container at /sys/fs/cgroup: this cgroup's host directory in each hierarchy.</summary>
    IReadOnlyList<CgroupMountSource> MountSources();

    /// <summary>Usage and limits in runc's `events --stats` shape.</summary>
    CgroupStats Stats();

    /// <summary>How many times the kernel's OOM killer killed a process in this cgroup (0 when the kernel does not count).</summary>
    ulong OomKillCount();

    /// <summary>Starts listening for OOM events; dispose the watch when done.</summary>
    OomWatch WatchOom();
}
