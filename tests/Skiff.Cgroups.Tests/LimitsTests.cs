using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Tests;

/// <summary>Each resource written on this (hybrid) host, read back from the kernel's files.</summary>
public sealed class LimitsTests : IDisposable
{
    private readonly CgroupSandbox _box = new();

    public void Dispose() => _box.Dispose();

    [Fact]
    public void Memory_limit_swap_reservation_and_swappiness_reach_the_memory_files()
    {
        _box.CreateWith("mem", new LinuxResources
        {
            Memory = new MemoryResources { Limit = 64 << 20, Swap = 96 << 20, Reservation = 32 << 20, Swappiness = 10, DisableOomKiller = true },
        });
        string dir = _box.V1Dir("memory", "mem");
        Assert.Equal((64 << 20).ToString(), CgroupSandbox.Read(dir, "memory.limit_in_bytes"));
        Assert.Equal((96 << 20).ToString(), CgroupSandbox.Read(dir, "memory.memsw.limit_in_bytes"));
        Assert.Equal((32 << 20).ToString(), CgroupSandbox.Read(dir, "memory.soft_limit_in_bytes"));
        Assert.Equal("10", CgroupSandbox.Read(dir, "memory.swappiness"));
        Assert.Contains("oom_kill_disable 1", CgroupSandbox.Read(dir, "memory.oom_control"));
    }

    [Fact]
    public void Lowering_memory_below_swap_and_raising_it_above_works_in_either_order()
    {
        var cgroup = _box.CreateWith("order", new LinuxResources { Memory = new MemoryResources { Limit = 64 << 20, Swap = 64 << 20 } });
        string dir = _box.V1Dir("memory", "order");
        // Raising both: memsw must move first, or the kernel refuses limit > memsw.
        cgroup.Update(new LinuxResources { Memory = new MemoryResources { Limit = 256 << 20, Swap = 512 << 20 } });
        Assert.Equal((256 << 20).ToString(), CgroupSandbox.Read(dir, "memory.limit_in_bytes"));
        Assert.Equal((512 << 20).ToString(), CgroupSandbox.Read(dir, "memory.memsw.limit_in_bytes"));
        // Lowering both: the limit must move first.
        cgroup.Update(new LinuxResources { Memory = new MemoryResources { Limit = 32 << 20, Swap = 48 << 20 } });
        Assert.Equal((32 << 20).ToString(), CgroupSandbox.Read(dir, "memory.limit_in_bytes"));
        Assert.Equal((48 << 20).ToString(), CgroupSandbox.Read(dir, "memory.memsw.limit_in_bytes"));
        // Unlimited memory with no swap given lifts memory+swap too.
        cgroup.Update(new LinuxResources { Memory = new MemoryResources { Limit = -1 } });
        Assert.Equal(CgroupSandbox.Read(_box.Layout.MountPointOf("memory")!, "memory.limit_in_bytes"), CgroupSandbox.Read(dir, "memory.limit_in_bytes"));
        Assert.Equal(CgroupSandbox.Read(dir, "memory.limit_in_bytes"), CgroupSandbox.Read(dir, "memory.memsw.limit_in_bytes"));
    }

    [Fact]
    public void Cpu_quota_period_burst_shares_and_idle_reach_the_cpu_files()
    {
        var cgroup = _box.CreateWith("cpu", new LinuxResources
        {
            Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 200000, Burst = 10000 },
        });
        string dir = _box.V1Dir("cpu", "cpu");
        Assert.Equal("512", CgroupSandbox.Read(dir, "cpu.shares"));
        Assert.Equal("50000", CgroupSandbox.Read(dir, "cpu.cfs_quota_us"));
        Assert.Equal("200000", CgroupSandbox.Read(dir, "cpu.cfs_period_us"));
        Assert.Equal("10000", CgroupSandbox.Read(dir, "cpu.cfs_burst_us"));
        // A shorter period with a smaller quota: the period is refused first (burst no longer fits) and retried.
        cgroup.Update(new LinuxResources { Cpu = new CpuResources { Quota = 5000, Period = 10000, Burst = 0 } });
        Assert.Equal("5000", CgroupSandbox.Read(dir, "cpu.cfs_quota_us"));
        Assert.Equal("10000", CgroupSandbox.Read(dir, "cpu.cfs_period_us"));
        cgroup.Update(new LinuxResources { Cpu = new CpuResources { Quota = -1, Idle = 1 } });
        Assert.Equal("-1", CgroupSandbox.Read(dir, "cpu.cfs_quota_us"));
        Assert.Equal("1", CgroupSandbox.Read(dir, "cpu.idle"));
    }

    [Fact]
    public void Realtime_runtime_and_period_reach_the_cpu_files()
    {
        // Realtime time is handed down the tree: directly under the root there is some to take.
        var cgroup = Cgroup.Open(_box.Layout, _box.Parent, "rt");
        cgroup.Create();
        cgroup.Apply(new LinuxResources { Cpu = new CpuResources { RealtimeRuntime = 10000, RealtimePeriod = 500000 } });
        string dir = _box.Layout.MountPointOf("cpu") + _box.Parent;
        Assert.Equal("10000", CgroupSandbox.Read(dir, "cpu.rt_runtime_us"));
        Assert.Equal("500000", CgroupSandbox.Read(dir, "cpu.rt_period_us"));
        // A child cannot get a larger share than its parent has (2%): the kernel's refusal names file and value.
        var child = _box.Open("rt-child");
        child.Create();
        var e = Assert.Throws<CgroupException>(() => child.Apply(new LinuxResources { Cpu = new CpuResources { RealtimeRuntime = 50000 } }));
        Assert.Equal($"cgroup: writing \"50000\" to {dir}/rt-child/cpu.rt_runtime_us: invalid argument", e.Message);
    }

    [Fact]
    public void Out_of_range_shares_are_reported_instead_of_clamped_silently()
    {
        var cgroup = _box.Open("shares");
        cgroup.Create();
        var e = Assert.Throws<CgroupException>(() => cgroup.Apply(new LinuxResources { Cpu = new CpuResources { Shares = 1 } }));
        Assert.Contains("cpu shares 1 is out of range", e.Message);
    }

    [Fact]
    public void Cpuset_is_inherited_on_creation_and_set_when_asked()
    {
        var cgroup = _box.CreateWith("cs/inner", new LinuxResources { Cpu = new CpuResources { Cpus = "0", Mems = "0" } });
        string root = _box.Layout.MountPointOf("cpuset")!;
        // The intermediate level got its parent's values, so something can live below it.
        Assert.Equal(CgroupSandbox.Read(root, "cpuset.cpus"), CgroupSandbox.Read(_box.V1Dir("cpuset", "cs"), "cpuset.cpus"));
        string dir = _box.V1Dir("cpuset", "cs/inner");
        Assert.Equal("0", CgroupSandbox.Read(dir, "cpuset.cpus"));
        Assert.Equal("0", CgroupSandbox.Read(dir, "cpuset.mems"));
        var sleeper = _box.StartSleep();
        cgroup.AddProcess(sleeper.Id);
        Assert.Contains(sleeper.Id, cgroup.Processes());
        Assert.Contains($":cpuset:{_box.Parent}/cs/inner", File.ReadAllText($"/proc/{sleeper.Id}/cgroup"));
    }

    [Fact]
    public void A_cgroup_joins_under_a_parent_another_creator_made_but_has_not_filled_yet()
    {
        // Two containers created at once under one new parent: the other creator has made the
        // parent directory (empty cpuset) and not yet copied cpus and mems into it.
        _box.Open("first").Create();
        Directory.CreateDirectory(_box.V1Dir("cpuset", "shared"));
        Assert.Equal("", CgroupSandbox.Read(_box.V1Dir("cpuset", "shared"), "cpuset.cpus"));
        var cgroup = _box.CreateWith("shared/second", null);
        var sleeper = _box.StartSleep();
        cgroup.AddProcess(sleeper.Id);
        Assert.Contains($":cpuset:{_box.Parent}/shared/second", File.ReadAllText($"/proc/{sleeper.Id}/cgroup"));
    }

    [Fact]
    public void A_process_joins_even_without_any_cpuset_given()
    {
        var cgroup = _box.CreateWith("plain", null);
        var sleeper = _box.StartSleep();
        cgroup.AddProcess(sleeper.Id);
        string membership = File.ReadAllText($"/proc/{sleeper.Id}/cgroup");
        foreach (string controller in new[] { "memory", "cpu", "cpuset", "pids", "devices", "freezer", "blkio", "name=systemd" })
            Assert.Contains($":{controller}:{_box.Parent}/plain\n", membership);
        Assert.Contains($"0::{_box.Parent}/plain\n", membership);
    }

    [Fact]
    public void Blkio_weight_and_throttling_reach_the_blkio_files()
    {
        // This kernel has BFQ and no CFQ: the weight lives in blkio.bfq.weight.
        _box.CreateWith("io", new LinuxResources
        {
            BlockIo = new BlockIoResources
            {
                Weight = 300,
                ThrottleReadBpsDevice = [new ThrottleDevice { Major = 254, Minor = 0, Rate = 1 << 20 }],
                ThrottleWriteIopsDevice = [new ThrottleDevice { Major = 254, Minor = 0, Rate = 100 }],
            },
        });
        string dir = _box.V1Dir("blkio", "io");
        string weightFile = File.Exists(dir + "/blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
        Assert.Contains("300", CgroupSandbox.Read(dir, weightFile));
        Assert.Equal($"254:0 {1 << 20}", CgroupSandbox.Read(dir, "blkio.throttle.read_bps_device"));
        Assert.Equal("254:0 100", CgroupSandbox.Read(dir, "blkio.throttle.write_iops_device"));
    }

    [Fact]
    public void Device_rules_become_the_devices_list_with_runc_defaults()
    {
        _box.CreateWith("dev", new LinuxResources
        {
            Devices =
            [
                new DeviceCgroupRule { Allow = false, Access = "rwm" },
                new DeviceCgroupRule { Allow = true, Type = "c", Major = 1, Minor = 1, Access = "r" },
            ],
        });
        string[] list = CgroupSandbox.Read(_box.V1Dir("devices", "dev"), "devices.list").Split('\n');
        Assert.DoesNotContain("a *:* rwm", list);
        Assert.Contains("c 1:1 r", list);
        Assert.Contains("c 1:3 rwm", list);
        Assert.Contains("c 136:* rwm", list);
        Assert.Contains("b *:* m", list);
    }

    [Fact]
    public void Without_any_resources_a_container_still_gets_only_the_default_devices()
    {
        _box.CreateWith("nodev", null);
        string[] list = CgroupSandbox.Read(_box.V1Dir("devices", "nodev"), "devices.list").Split('\n');
        Assert.DoesNotContain("a *:* rwm", list);
        Assert.Contains("c 1:9 rwm", list);
    }

    [Fact]
    public void Update_without_devices_keeps_the_device_rules()
    {
        var cgroup = _box.CreateWith("keep", new LinuxResources
        {
            Devices = [new DeviceCgroupRule { Allow = true, Type = "c", Major = 1, Minor = 1, Access = "r" }],
        });
        cgroup.Update(new LinuxResources { Pids = new PidsResources { Limit = 10 } });
        Assert.Contains("c 1:1 r", CgroupSandbox.Read(_box.V1Dir("devices", "keep"), "devices.list").Split('\n'));
    }

    [Fact]
    public void Unified_keys_are_written_to_the_v2_directory_of_a_hybrid_host()
    {
        _box.CreateWith("uni", new LinuxResources { Unified = new() { ["cgroup.max.descendants"] = "7" } });
        Assert.Equal("7", CgroupSandbox.Read(_box.V2Dir("uni"), "cgroup.max.descendants"));
    }

    [Fact]
    public void A_unified_key_for_a_controller_the_v2_hierarchy_lacks_is_refused()
    {
        var cgroup = _box.Open("unibad");
        cgroup.Create();
        var e = Assert.Throws<CgroupException>(() => cgroup.Apply(new LinuxResources { Unified = new() { ["memory.max"] = "1000000" } }));
        Assert.Contains("the memory controller is not available", e.Message);
    }

    [Fact]
    public void Network_class_id_is_refused_when_net_cls_is_not_mounted()
    {
        var cgroup = _box.Open("net");
        cgroup.Create();
        var e = Assert.Throws<CgroupException>(() => cgroup.Apply(new LinuxResources { Network = new NetworkResources { ClassId = 0x100001 } }));
        Assert.Equal("cgroup: a network classID was requested but the net_cls controller is not mounted on this host", e.Message);
    }

    [Fact]
    public void An_unsupported_hugepage_size_is_refused_naming_the_sizes()
    {
        var cgroup = _box.Open("huge");
        cgroup.Create();
        var e = Assert.Throws<CgroupException>(() => cgroup.Apply(new LinuxResources { HugepageLimits = [new HugepageLimit { PageSize = "3MB", Limit = 0 }] }));
        Assert.Contains("hugepage size \"3MB\"", e.Message);
        Assert.Contains("2MB", e.Message);
    }
}
