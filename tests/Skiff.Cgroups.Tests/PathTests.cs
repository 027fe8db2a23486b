namespace Skiff.Cgroups.Tests;

public class PathTests
{
    private const string HybridMounts = """
        35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
        41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
        """;

    private static readonly CgroupLayout Hybrid = CgroupLayout.Parse(HybridMounts, "2:memory:/tooling/abc\n1:pids:/\n0::/\n", "hugetlb");

    [Theory]
    [InlineData("/skiff/abc", "/skiff/abc")]
    [InlineData("/skiff//abc/", "/skiff/abc")]
    [InlineData("/a/../../b", "/b")]
    [InlineData("../../escape", "escape")]
    [InlineData("skiff/./x", "skiff/x")]
    public void Paths_are_cleaned_lexically_and_relative_ones_cannot_climb(string given, string expected) =>
        Assert.Equal(expected, Cgroup.Open(Hybrid, given, "id").Path);

    [Fact]
    public void An_absolute_path_sits_under_each_mount_point()
    {
        var dirs = Cgroup.Open(Hybrid, "/skiff/abc", "abc").MountSources().Select(s => s.HostDirectory);
        Assert.Equal(["/sys/fs/cgroup/memory/skiff/abc", "/sys/fs/cgroup/pids/skiff/abc", "/sys/fs/cgroup/unified/skiff/abc"], dirs);
    }

    [Fact]
    public void A_relative_path_sits_under_this_process_own_cgroup_in_each_hierarchy()
    {
        var dirs = Cgroup.Open(Hybrid, "skiff/abc", "abc").MountSources().Select(s => s.HostDirectory);
        Assert.Equal(["/sys/fs/cgroup/memory/tooling/abc/skiff/abc", "/sys/fs/cgroup/pids/skiff/abc", "/sys/fs/cgroup/unified/skiff/abc"], dirs);
    }

    [Fact]
    public void A_relative_path_resolves_from_the_creator_cgroup_whoever_opens_it()
    {
        var elsewhere = CgroupLayout.Parse(HybridMounts, "2:memory:/elsewhere\n1:pids:/elsewhere\n0::/elsewhere\n", "hugetlb");
        var dirs = Cgroup.Open(elsewhere.AsSeenFrom(Hybrid.SelfCgroup), "skiff/abc", "abc").MountSources().Select(s => s.HostDirectory);
        Assert.Equal(["/sys/fs/cgroup/memory/tooling/abc/skiff/abc", "/sys/fs/cgroup/pids/skiff/abc", "/sys/fs/cgroup/unified/skiff/abc"], dirs);
    }

    [Fact]
    public void On_pure_v2_a_relative_path_sits_beside_this_process_own_cgroup_as_in_runc()
    {
        var unified = CgroupLayout.Parse("""
            30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate
            """, "0::/user.slice/user-0.slice/session-3.scope\n", "cpuset cpu io memory pids");
        Assert.Equal("/sys/fs/cgroup/user.slice/user-0.slice/skiff/abc", Cgroup.Open(unified, "skiff/abc", "abc").UnifiedDirectory);
        Assert.Equal("/sys/fs/cgroup/skiff/abc", Cgroup.Open(unified, "/skiff/abc", "abc").UnifiedDirectory);
        var atRoot = CgroupLayout.Parse("""
            30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
            """, "0::/\n", "cpuset cpu io memory pids");
        Assert.Equal("/sys/fs/cgroup/abc", Cgroup.Open(atRoot, "", "abc").UnifiedDirectory);
    }

    [Fact]
    public void An_empty_path_is_the_container_id_relative_as_in_runc()
    {
        var cgroup = Cgroup.Open(Hybrid, "", "ctr1");
        Assert.Equal("ctr1", cgroup.Path);
        Assert.Equal("/sys/fs/cgroup/pids/ctr1", cgroup.MountSources()[1].HostDirectory);
        Assert.Equal("/sys/fs/cgroup/unified/ctr1", cgroup.UnifiedDirectory);
    }

    [Fact]
    public void The_systemd_form_is_refused_with_a_clear_error()
    {
        var e = Assert.Throws<CgroupException>(() => Cgroup.Open(Hybrid, "system.slice:docker:abc", "abc"));
        Assert.StartsWith("systemd cgroup driver is not available: ", e.Message);
        Assert.Contains("system.slice:docker:abc", e.Message);
        var flagged = Assert.Throws<CgroupException>(() => Cgroup.Open(Hybrid, "/skiff/abc", "abc", systemd: true));
        Assert.StartsWith("systemd cgroup driver is not available: ", flagged.Message);
    }

    [Fact]
    public void The_root_cannot_be_a_container_cgroup()
    {
        var e = Assert.Throws<CgroupException>(() => Cgroup.Open(Hybrid, "/..", "abc"));
        Assert.Contains("root cgroup", e.Message);
    }

    [Fact]
    public void Mount_sources_name_each_hierarchy_and_the_unified_one()
    {
        var sources = Cgroup.Open(Hybrid, "/x", "x").MountSources();
        Assert.Equal(["memory", "pids", "unified"], sources.Select(s => s.Name));
        Assert.Equal([false, false, true], sources.Select(s => s.IsUnified));
        Assert.Equal(["hugetlb"], sources[2].Controllers);
    }
}
