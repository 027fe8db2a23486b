namespace Skiff.Cgroups.Tests.Behaviour;

/// <summary>
/// The behaviour suite on this host twice: as it is (hybrid: v1 controllers, hugetlb on cgroup2)
/// and as a pure v1 host sees it. For the second, the layout is detected from this host's
/// mountinfo without its cgroup2 mount, which is what /proc/self/mountinfo reads in a mount
/// namespace where /sys/fs/cgroup/unified is unmounted: the real LegacyCgroup then drives the
/// real v1 hierarchies. The pure v2 run is the guest's (tests/v2-guest).
/// </summary>
public sealed class BehaviourTests
{
    public static TheoryData<string> Cases => [.. CgroupBehaviour.Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void On_this_hybrid_host(string name)
    {
        CgroupLayout layout = CgroupLayout.Detect();
        Assert.Equal(CgroupMode.Hybrid, layout.Mode);
        Run(name, layout);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void On_pure_v1(string name)
    {
        CgroupLayout layout = PureV1();
        Assert.Equal(CgroupMode.Legacy, layout.Mode);
        Assert.IsType<V1.LegacyCgroup>(Cgroup.Open(layout, "/skiff-cgtest-type", "test"));
        Run(name, layout);
    }

    private static void Run(string name, CgroupLayout layout)
    {
        using CgroupSandbox box = new(layout);
        CgroupBehaviour.Cases.Single(c => c.Name == name).Run(box);
    }

    private static CgroupLayout PureV1()
    {
        IEnumerable<string> v1Mounts = File.ReadAllLines("/proc/self/mountinfo")
            .Where(line => !line.Contains(" - cgroup2 ", StringComparison.Ordinal));
        return CgroupLayout.Parse(string.Join('\n', v1Mounts), File.ReadAllText("/proc/self/cgroup"), "");
    }
}
