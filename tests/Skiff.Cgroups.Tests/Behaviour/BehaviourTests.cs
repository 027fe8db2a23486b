using System.Diagnostics;

namespace Skiff.Cgroups.Tests.Behaviour;

/// <summary>
/// The behaviour suite on this host twice: as it is (hybrid: v1 controllers, hugetlb on cgroup2)
/// and as a pure v1 host. For the second, the layout is parsed from the mountinfo of a private
/// mount namespace where /sys/fs/cgroup/unified is unmounted (the test process itself cannot
/// enter one: it has threads), so the real LegacyCgroup drives the real v1 hierarchies. The pure
/// v2 run is the guest's (tests/v2-guest).
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
        ProcessStartInfo start = new("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["--mount", "--propagation", "private", "--", "sh", "-c", "umount /sys/fs/cgroup/unified && cat /proc/self/mountinfo"])
            start.ArgumentList.Add(argument);
        using Process unshare = Process.Start(start)!;
        Task<string> error = unshare.StandardError.ReadToEndAsync();
        string mountInfo = unshare.StandardOutput.ReadToEnd();
        unshare.WaitForExit();
        Assert.True(unshare.ExitCode == 0, $"unshare: exit {unshare.ExitCode}: {error.Result}");
        Assert.DoesNotContain(" - cgroup2 ", mountInfo);
        return CgroupLayout.Parse(mountInfo, File.ReadAllText("/proc/self/cgroup"), "");
    }
}
