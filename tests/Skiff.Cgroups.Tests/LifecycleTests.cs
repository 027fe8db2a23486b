using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Tests;

/// <summary>
/// Nested paths, the errors on the way and the mount sources on this hybrid host; what every
/// driver does alike (create, join, freeze, stats, destroy) is in Behaviour/CgroupBehaviour.
/// </summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly CgroupSandbox _box = new();

    public void Dispose() => _box.Dispose();

    [Fact]
    public void Nested_paths_create_every_level_and_destroy_leaves_parents_it_did_not_make()
    {
        var sibling = _box.Open("a/other");
        sibling.Create();
        var deep = _box.Open("a/b/c/d");
        deep.Create();
        Assert.True(Directory.Exists(_box.V1Dir("pids", "a/b/c/d")));
        deep.Destroy();
        Assert.False(Directory.Exists(_box.V1Dir("pids", "a/b")));
        // "a" holds the sibling: it stays, and so does the sibling.
        Assert.True(Directory.Exists(_box.V1Dir("pids", "a/other")));
    }

    [Fact]
    public void A_value_the_kernel_refuses_gives_a_clear_error_and_destroy_leaves_nothing_behind()
    {
        var cgroup = _box.Open("bad/period");
        cgroup.Create();
        // CFS periods below 1 ms are refused by the kernel.
        var e = Assert.Throws<CgroupException>(() => cgroup.Apply(new LinuxResources { Cpu = new CpuResources { Period = 500 } }));
        string file = _box.V1Dir("cpu", "bad/period") + "/cpu.cfs_period_us";
        Assert.Equal($"cgroup: writing \"500\" to {file}: invalid argument", e.Message);
        cgroup.Destroy();
        Assert.All(_box.ParentDirs(), d => Assert.False(Directory.Exists(d), d));
    }

    [Fact]
    public void A_negative_quota_is_refused_before_anything_is_written()
    {
        var cgroup = _box.Open("bad/quota");
        cgroup.Create();
        var e = Assert.Throws<CgroupException>(() => cgroup.Apply(new LinuxResources
        {
            Pids = new PidsResources { Limit = 3 },
            Cpu = new CpuResources { Quota = -5 },
        }));
        Assert.Equal("cgroup: cpu quota -5 is invalid: give microseconds per period, or -1 for no limit", e.Message);
        Assert.Equal("max", CgroupSandbox.Read(_box.V1Dir("pids", "bad/quota"), "pids.max"));
        cgroup.Destroy();
        Assert.All(_box.ParentDirs(), d => Assert.False(Directory.Exists(d), d));
    }

    [Fact]
    public void An_unknown_device_type_fails_before_any_file_is_written()
    {
        var cgroup = _box.Open("baddev");
        cgroup.Create();
        var e = Assert.Throws<CgroupException>(() => cgroup.Apply(new LinuxResources
        {
            Pids = new PidsResources { Limit = 3 },
            Devices = [new DeviceCgroupRule { Allow = true, Type = "q", Access = "rwm" }],
        }));
        Assert.StartsWith("cgroup: device rule 0 has type \"q\"", e.Message);
        Assert.Equal("max", CgroupSandbox.Read(_box.V1Dir("pids", "baddev"), "pids.max"));
        cgroup.Destroy();
        Assert.All(_box.ParentDirs(), d => Assert.False(Directory.Exists(d), d));
    }

    [Fact]
    public void Mount_sources_cover_every_joined_hierarchy()
    {
        var cgroup = _box.Open("mounts");
        var names = cgroup.MountSources().Select(s => s.Name).ToList();
        foreach (string name in new[] { "memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio", "systemd", "unified" })
            Assert.Contains(name, names);
        Assert.Equal(cgroup.UnifiedDirectory, cgroup.MountSources().Single(s => s.IsUnified).HostDirectory);
    }
}
