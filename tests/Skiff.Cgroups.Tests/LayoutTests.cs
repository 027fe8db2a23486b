namespace Skiff.Cgroups.Tests;

public class LayoutTests
{
    private const string HybridMountInfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:9 - cgroup cgroup rw,xattr,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
        """;

    [Fact]
    public void This_host_is_detected_as_hybrid_with_hugetlb_on_v2()
    {
        // The project's machines are hybrid hosts (v1 controllers, a cgroup2 mount with only
        // hugetlb); a different host would need another expectation.
        var layout = CgroupLayout.Detect();
        Assert.Equal(CgroupMode.Hybrid, layout.Mode);
        Assert.Equal("/sys/fs/cgroup/memory", layout.MountPointOf("memory"));
        Assert.Equal("/sys/fs/cgroup/pids", layout.MountPointOf("pids"));
        Assert.Equal("/sys/fs/cgroup/systemd", layout.MountPointOf("name=systemd"));
        Assert.Equal("/sys/fs/cgroup/unified", layout.UnifiedMountPoint);
        Assert.Contains("hugetlb", layout.UnifiedControllers);
        Assert.Null(layout.MountPointOf("hugetlb"));
    }

    [Fact]
    public void Co_mounted_controllers_share_one_hierarchy()
    {
        var layout = CgroupLayout.Parse(HybridMountInfo, "2:cpu,cpuacct:/a\n1:memory:/b/c\n0::/\n", "");
        var cpu = layout.HierarchyOf("cpuacct")!;
        Assert.Same(cpu, layout.HierarchyOf("cpu"));
        Assert.Equal("cpu,cpuacct", cpu.Name);
        Assert.Equal(["cpu", "cpuacct"], cpu.Controllers);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/a", cpu.OwnDirectory);
        Assert.Equal("/sys/fs/cgroup/memory/b/c", layout.HierarchyOf("memory")!.OwnDirectory);
        Assert.Equal(["name=systemd"], layout.HierarchyOf("name=systemd")!.Controllers);
        Assert.Equal(CgroupMode.Hybrid, layout.Mode);
        Assert.Empty(layout.UnifiedControllers);
    }

    [Fact]
    public void A_cgroup2_only_host_is_unified()
    {
        const string mountInfo = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
        var layout = CgroupLayout.Parse(mountInfo, "0::/user.slice/x.scope\n", "cpuset cpu io memory hugetlb pids rdma misc\n");
        Assert.Equal(CgroupMode.Unified, layout.Mode);
        Assert.Equal("/sys/fs/cgroup", layout.UnifiedMountPoint);
        Assert.Equal("/user.slice/x.scope", layout.UnifiedOwnCgroup);
        Assert.Equal(["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"], layout.UnifiedControllers);
        Assert.Empty(layout.Hierarchies);
    }

    [Fact]
    public void A_v1_only_host_is_legacy()
    {
        const string mountInfo = "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        Assert.Equal(CgroupMode.Legacy, CgroupLayout.Parse(mountInfo, "1:memory:/\n", "").Mode);
    }

    [Fact]
    public void Mount_root_and_escaped_mount_points_are_honoured()
    {
        // Inside a cgroup namespace (or a bind mount of a subtree) the mount's root is not "/".
        const string mountInfo = "35 31 0:32 /ctr /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n";
        var layout = CgroupLayout.Parse(mountInfo, "1:memory:/ctr/inner\n", "");
        var memory = layout.HierarchyOf("memory")!;
        Assert.Equal("/mnt/my cgroups", memory.MountPoint);
        Assert.Equal("/mnt/my cgroups/inner", memory.OwnDirectory);
    }
}
