namespace Skiff.Cgroups;

/// <summary>
/// One mounted v1 hierarchy: where it is mounted, which controllers it carries (a named hierarchy such
/// as "name=systemd" carries none and is listed by its name), the mount's root inside the hierarchy,
/// and the cgroup this process belongs to in it.
/// </summary>
public sealed record CgroupHierarchy(string MountPoint, string Root, IReadOnlyList<string> Controllers, string OwnCgroup)
{
    /// <summary>The mount's directory name, e.g. "memory", "cpu,cpuacct" or "systemd".</summary>
    public string Name => System.IO.Path.GetFileName(MountPoint);

    public bool Has(string controller) => Controllers.Contains(controller);

    /// <summary>The directory of this process's own cgroup, the parent of relative cgroupsPaths (runc does the same).</summary>
    public string OwnDirectory => CgroupLayout.Below(MountPoint, Root, OwnCgroup);
}
