using System.Text.Json;
using Skiff.Cgroups.Stats;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Tests;

/// <summary>Create, join, freeze, list, destroy and the errors on the way, with real processes.</summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly CgroupSandbox _box = new();

    public void Dispose() => _box.Dispose();

    [Fact]
    public void Create_makes_the_directory_in_every_hierarchy_and_destroy_removes_them()
    {
        var cgroup = _box.Open("life");
        cgroup.Create();
        var dirs = cgroup.MountSources().Select(s => s.HostDirectory).ToList();
        Assert.Contains(_box.V1Dir("memory", "life"), dirs);
        Assert.Contains(_box.V1Dir("name=systemd", "life"), dirs);
        Assert.Contains(_box.V2Dir("life"), dirs);
        Assert.All(dirs, d => Assert.True(Directory.Exists(d), d));
        cgroup.Destroy();
        Assert.All(dirs, d => Assert.False(Directory.Exists(d), d));
        // The private parent was made by this cgroup, so it went too.
        Assert.All(_box.ParentDirs(), d => Assert.False(Directory.Exists(d), d));
    }

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
    public void Creating_a_cgroup_that_already_exists_reuses_it()
    {
        var first = _box.CreateWith("again", new LinuxResources { Pids = new PidsResources { Limit = 5 } });
        var second = _box.Open("again");
        second.Create();
        second.Apply(new LinuxResources { Pids = new PidsResources { Limit = 6 } });
        Assert.Equal("6", CgroupSandbox.Read(_box.V1Dir("pids", "again"), "pids.max"));
        // A second object did not make the directories: destroying it still removes the container's cgroup.
        second.Destroy();
        Assert.False(Directory.Exists(_box.V1Dir("pids", "again")));
        first.Destroy();
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
    public void Processes_lists_members_of_nested_cgroups_too()
    {
        var cgroup = _box.CreateWith("procs", null);
        var first = _box.StartSleep();
        var second = _box.StartSleep();
        cgroup.AddProcess(first.Id);
        var inner = _box.Open("procs/inner");
        inner.Create();
        inner.AddProcess(second.Id);
        Assert.Equal(new[] { first.Id, second.Id }.Order(), cgroup.Processes());
        Assert.Equal([second.Id], inner.Processes());
    }

    [Fact]
    public void Freeze_stops_the_processes_and_thaw_resumes_them()
    {
        var cgroup = _box.CreateWith("freeze", null);
        // A counter that advances while the process runs: frozen, it must stand still.
        string counter = Path.Combine(Path.GetTempPath(), "skiff-cgtest-" + Guid.NewGuid().ToString("N"));
        var worker = _box.Start($"read x; i=0; while true; do i=$((i+1)); echo $i > {counter}; done");
        try
        {
            cgroup.AddProcess(worker.Id);
            worker.StandardInput.WriteLine("go");
            worker.StandardInput.Flush();
            WaitUntil(() => File.Exists(counter) && File.ReadAllText(counter).Trim().Length > 0);
            cgroup.Freeze();
            Assert.True(cgroup.IsFrozen());
            Assert.Equal("FROZEN", CgroupSandbox.Read(_box.V1Dir("freezer", "freeze"), "freezer.state"));
            string before = File.ReadAllText(counter);
            Thread.Sleep(200);
            Assert.Equal(before, File.ReadAllText(counter));
            cgroup.Thaw();
            Assert.False(cgroup.IsFrozen());
            WaitUntil(() => File.ReadAllText(counter) != before);
        }
        finally
        {
            // The loop would write the counter again after a delete: it goes first (thawed, or it cannot die).
            if (cgroup.IsFrozen()) cgroup.Thaw();
            worker.Kill();
            worker.WaitForExit();
            File.Delete(counter);
        }
    }

    [Fact]
    public void Destroy_refuses_while_a_process_lives_and_names_it()
    {
        var cgroup = _box.CreateWith("busy", null);
        var sleeper = _box.StartSleep();
        cgroup.AddProcess(sleeper.Id);
        var e = Assert.Throws<CgroupException>(cgroup.Destroy);
        Assert.Contains("device or resource busy", e.Message);
        Assert.Contains(sleeper.Id.ToString(), e.Message);
        sleeper.Kill();
        sleeper.WaitForExit();
        cgroup.Destroy();
        Assert.False(Directory.Exists(_box.V1Dir("memory", "busy")));
    }

    [Fact]
    public void Stats_report_what_the_files_say_in_runc_json_shape()
    {
        var cgroup = _box.CreateWith("stats", new LinuxResources
        {
            Memory = new MemoryResources { Limit = 128 << 20 },
            Pids = new PidsResources { Limit = 20 },
        });
        var sleeper = _box.StartSleep();
        cgroup.AddProcess(sleeper.Id);
        var stats = cgroup.Stats();
        Assert.Equal(128UL << 20, stats.Memory.Usage!.Limit);
        Assert.Equal(ulong.Parse(CgroupSandbox.Read(_box.V1Dir("memory", "stats"), "memory.usage_in_bytes")), stats.Memory.Usage.Usage, 1.0 * (1 << 20));
        Assert.Equal(1UL, stats.Pids.Current);
        Assert.Equal(20UL, stats.Pids.Limit);
        Assert.NotNull(stats.Memory.Raw);
        Assert.NotEmpty(stats.Cpu.Usage.PerCpu!);

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(stats, CgroupStatsJsonContext.Default.CgroupStats));
        var root = json.RootElement;
        Assert.Equal(20, root.GetProperty("pids").GetProperty("limit").GetInt32());
        Assert.Equal(128L << 20, root.GetProperty("memory").GetProperty("usage").GetProperty("limit").GetInt64());
        foreach (string key in new[] { "cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces" })
            Assert.True(root.TryGetProperty(key, out _), key);
        Assert.True(root.GetProperty("cpu").GetProperty("usage").TryGetProperty("kernel", out _));
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

    internal static void WaitUntil(Func<bool> condition)
    {
        // Generous: this waits for the kernel or a shell, never asserts speed.
        for (int i = 0; i < 600; i++)
        {
            if (condition()) return;
            Thread.Sleep(50);
        }
        Assert.Fail("condition not met within 30 s");
    }
}
