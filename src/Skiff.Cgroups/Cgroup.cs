using Skiff.Cgroups.V1;
using Skiff.Cgroups.V2;

namespace Skiff.Cgroups;

/// <summary>Opens a container's cgroup with runc's cgroupsPath rules on whatever layout the host has.</summary>
public static class Cgroup
{
    /// <summary>
    /// cgroupsPath as runc reads it with its cgroupfs drivers: absolute ("/skiff/abc": under each
    /// hierarchy's mount point), relative ("skiff/abc": placed from this process's own cgroup, see
    /// <see cref="CgroupsPath"/>), or empty (the container id, relative). The systemd form
    /// "slice:prefix:name" (or systemd = true, from --systemd-cgroup) is refused: skiff has no systemd driver.
    /// </summary>
    /// <summary>
    /// Whether the cgroup of <paramref name="cgroupsPath"/> depends on the cgroup of the process that
    /// resolves it (a relative or empty path), so the resolver's own cgroup must be kept with it.
    /// </summary>
    public static bool IsRelative(string? cgroupsPath) => !(cgroupsPath?.StartsWith('/') ?? false);

    public static ICgroup Open(CgroupLayout layout, string? cgroupsPath, string containerId, bool systemd = false)
    {
        var path = CgroupsPath.Resolve(cgroupsPath, containerId, systemd);
        return layout.Mode switch
        {
            CgroupMode.Legacy => new LegacyCgroup(layout, path),
            CgroupMode.Unified => new UnifiedCgroup(layout, path, enableAllControllers: true),
            _ => new HybridCgroup(layout, path),
        };
    }
}
