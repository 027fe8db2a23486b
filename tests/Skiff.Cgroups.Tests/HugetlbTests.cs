using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Tests;

/// <summary>
/// On this hybrid host hugetlb is bound to the cgroup2 mount: a limit needs +hugetlb in the
/// subtree_control of every ancestor, the root included. The test puts the root back as it found it.
/// </summary>
public sealed class HugetlbTests : IDisposable
{
    private readonly CgroupSandbox _box = new();
    private readonly string _root;
    private readonly bool _wasEnabled;

    public HugetlbTests()
    {
        _root = _box.Layout.UnifiedMountPoint!;
        _wasEnabled = CgroupSandbox.Read(_root, "cgroup.subtree_control").Split(' ').Contains("hugetlb");
    }

    public void Dispose()
    {
        _box.Dispose();
        if (!_wasEnabled) File.WriteAllText(_root + "/cgroup.subtree_control", "-hugetlb");
    }

    [Fact]
    public void A_hugepage_limit_is_written_through_the_v2_hierarchy()
    {
        var cgroup = _box.CreateWith("huge/inner", new LinuxResources
        {
            HugepageLimits = [new HugepageLimit { PageSize = "2MB", Limit = 4 << 20 }],
        });
        string dir = _box.V2Dir("huge/inner");
        Assert.Equal((4 << 20).ToString(), CgroupSandbox.Read(dir, "hugetlb.2MB.max"));
        Assert.Equal((4 << 20).ToString(), CgroupSandbox.Read(dir, "hugetlb.2MB.rsvd.max"));
        Assert.Equal(0UL, cgroup.Stats().Hugetlb["2MB"].Usage);
        cgroup.Destroy();
    }

    [Fact]
    public void A_hugetlb_unified_key_enables_the_controller_on_demand()
    {
        var cgroup = _box.CreateWith("ukey", new LinuxResources { Unified = new() { ["hugetlb.2MB.max"] = "2097152" } });
        Assert.Equal("2097152", CgroupSandbox.Read(_box.V2Dir("ukey"), "hugetlb.2MB.max"));
        cgroup.Destroy();
    }
}
