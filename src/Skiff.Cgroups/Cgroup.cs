using Skiff.Cgroups.V1;
using Skiff.Cgroups.V2;

namespace Skiff.Cgroups;

/// <summary>Opens a container's cgroup with runc's cgroupsPath rules on whatever layout the host has.</summary>
public static class Cgroup
{
    /// <summary>
    /// cgroupsPath as runc reads it with its cgroupfs driver: absolute ("/skiff/abc": under each
    /// hierarchy's mount point), relative ("skiff/abc": under this process's own cgroup in each
    /// hierarchy), or empty (the container id, relative). The systemd form "slice:prefix:name" (or
    /// systemd = true, from --systemd-cgroup) is refused: skiff has no systemd driver.
    /// </summary>
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
