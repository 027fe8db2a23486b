using Skiff.Cgroups.Events;
using Skiff.Cgroups.Tests;
using Skiff.Cgroups.Tests.Behaviour;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.GuestProbe;

/// <summary>
/// What only cgroup v2 has, or does its own way: each resource read back from the kernel's files,
/// and its effect where it can be seen. What every driver does alike is the shared behaviour suite
/// (tests/Skiff.Cgroups.Tests/Behaviour), which the probe runs first.
/// </summary>
internal static class Checks
{
    public static List<(string Name, Action<CgroupSandbox> Run)> All() =>
    [
        ("the host is unified with the usual controllers", LayoutIsUnified),
        ("nested create enables controllers down the tree; destroy removes what it made", NestedCreate),
        ("unlimited memory lifts swap too", MemoryUnlimited),
        ("cpu burst and idle reach cpu.max.burst and cpu.idle; 2 shares are weight 1", CpuBurstAndIdle),
        ("cpuset cpus and mems reach cpuset.cpus and cpuset.mems", CpusetFiles),
        ("block I/O weight and throttling reach io.weight and io.max", IoFiles),
        ("with BFQ loaded the weight goes to io.bfq.weight unconverted", IoBfq),
        ("hugepage limits reach hugetlb.2MB.max and rsvd.max", HugetlbFiles),
        ("unified keys are written as given", UnifiedKeys),
        ("the eBPF device program allows the defaults and denies the rest", DevicesEffect),
        ("a limit below a cgroup with processes of its own is refused, saying why", LimitBelowBusyParent),
        ("a fork bomb stops at pids.max", ForkBomb),
        ("a busy loop gets no more than its cpu quota", CpuQuotaEffect),
        ("the OOM watch ends when the last process leaves", OomWatchEnds),
        ("an invalid value gives a clear error and leaves nothing behind", InvalidValues),
        ("v1-only resources are refused with a clear error", V1OnlyRefused),
    ];

    private static void LayoutIsUnified(CgroupSandbox box)
    {
        Expect.Equal(CgroupMode.Unified, box.Layout.Mode, "mode");
        Expect.Equal("/sys/fs/cgroup", box.Layout.UnifiedMountPoint, "cgroup2 mount");
        foreach (string c in new[] { "cpuset", "cpu", "io", "memory", "hugetlb", "pids" })
            Expect.True(box.Layout.UnifiedControllers.Contains(c), $"controller {c} missing from {string.Join(' ', box.Layout.UnifiedControllers)}");
    }

    private static void NestedCreate(CgroupSandbox box)
    {
        var cgroup = box.Open("a/b/c");
        cgroup.Create();
        string available = CgroupSandbox.Read(box.V2Dir("a/b/c"), "cgroup.controllers");
        foreach (string c in new[] { "cpuset", "cpu", "io", "memory", "hugetlb", "pids" })
            Expect.True(available.Split(' ').Contains(c), $"{c} not enabled for the leaf (has: {available})");
        Expect.Equal(box.V2Dir("a/b/c"), cgroup.UnifiedDirectory, "unified directory");
        Expect.Equal("", cgroup.MountSources().Single().Name, "mount source name on a unified host");
        cgroup.Destroy();
        Expect.True(!Directory.Exists(box.Layout.UnifiedMountPoint + box.Parent), "the parents made by Create are gone");
    }

    private static void MemoryUnlimited(CgroupSandbox box)
    {
        var cgroup = box.CreateWith("unl", new LinuxResources { Memory = new MemoryResources { Limit = 64 << 20, Swap = 64 << 20 } });
        Expect.Equal("0", CgroupSandbox.Read(box.V2Dir("unl"), "memory.swap.max"), "no swap when memory+swap equals memory");
        cgroup.Update(new LinuxResources { Memory = new MemoryResources { Limit = -1 } });
        Expect.Equal("max", CgroupSandbox.Read(box.V2Dir("unl"), "memory.max"), "memory.max");
        Expect.Equal("max", CgroupSandbox.Read(box.V2Dir("unl"), "memory.swap.max"), "memory.swap.max");
    }

    private static void CpuBurstAndIdle(CgroupSandbox box)
    {
        var cgroup = box.CreateWith("cpu", new LinuxResources { Cpu = new CpuResources { Quota = 50000, Period = 200000, Burst = 10000, Idle = 0 } });
        string dir = box.V2Dir("cpu");
        Expect.Equal("10000", CgroupSandbox.Read(dir, "cpu.max.burst"), "cpu.max.burst");
        Expect.Equal("0", CgroupSandbox.Read(dir, "cpu.idle"), "cpu.idle");
        cgroup.Update(new LinuxResources { Cpu = new CpuResources { Shares = 2 } });
        Expect.Equal("1", CgroupSandbox.Read(dir, "cpu.weight"), "cpu.weight for 2 shares");
    }

    private static void CpusetFiles(CgroupSandbox box)
    {
        var cgroup = box.CreateWith("cs", new LinuxResources { Cpu = new CpuResources { Cpus = "0", Mems = "0" } });
        Expect.Equal("0", CgroupSandbox.Read(box.V2Dir("cs"), "cpuset.cpus"), "cpuset.cpus");
        Expect.Equal("0", CgroupSandbox.Read(box.V2Dir("cs"), "cpuset.mems"), "cpuset.mems");
        var sleeper = box.StartIn(cgroup, "exec sleep 100");
        Expect.WaitUntil(() => cgroup.Processes().Contains(sleeper.Id), "the process is in the cpuset cgroup");
    }

    // The harness loads brd: /dev/ram0 is block device 1:0.
    private const string RamDisk = "1:0";

    private static void IoFiles(CgroupSandbox box)
    {
        if (File.Exists("/sys/module/bfq/initstate")) throw new CheckFailed("bfq is loaded already: this check needs the plain io.weight");
        box.CreateWith("io", new LinuxResources
        {
            BlockIo = new BlockIoResources
            {
                Weight = 500,
                ThrottleReadBpsDevice = [new ThrottleDevice { Major = 1, Minor = 0, Rate = 1 << 20 }],
                ThrottleWriteIopsDevice = [new ThrottleDevice { Major = 1, Minor = 0, Rate = 100 }],
            },
        });
        string dir = box.V2Dir("io");
        Expect.Equal("default 4950", CgroupSandbox.Read(dir, "io.weight"), "io.weight for blkio weight 500");
        Expect.Equal($"{RamDisk} rbps={1 << 20} wbps=max riops=max wiops=100", CgroupSandbox.Read(dir, "io.max"), "io.max");
    }

    private static void IoBfq(CgroupSandbox box)
    {
        var insmod = box.Start("insmod /lib/modules/bfq.ko");
        insmod.WaitForExit();
        Expect.Equal(0, insmod.ExitCode, "insmod bfq.ko");
        box.CreateWith("bfq", new LinuxResources { BlockIo = new BlockIoResources { Weight = 300 } });
        Expect.True(CgroupSandbox.Read(box.V2Dir("bfq"), "io.bfq.weight").Contains("300"), "io.bfq.weight holds 300");
    }

    private static void HugetlbFiles(CgroupSandbox box)
    {
        box.CreateWith("huge", new LinuxResources { HugepageLimits = [new HugepageLimit { PageSize = "2MB", Limit = 4 << 20 }] });
        Expect.Equal((4 << 20).ToString(), CgroupSandbox.Read(box.V2Dir("huge"), "hugetlb.2MB.max"), "hugetlb.2MB.max");
        Expect.Equal((4 << 20).ToString(), CgroupSandbox.Read(box.V2Dir("huge"), "hugetlb.2MB.rsvd.max"), "hugetlb.2MB.rsvd.max");
    }

    private static void UnifiedKeys(CgroupSandbox box)
    {
        box.CreateWith("uni", new LinuxResources { Unified = new() { ["memory.high"] = "50000000", ["cgroup.max.descendants"] = "3" } });
        Expect.Equal("49999872", CgroupSandbox.Read(box.V2Dir("uni"), "memory.high"), "memory.high (page aligned)");
        Expect.Equal("3", CgroupSandbox.Read(box.V2Dir("uni"), "cgroup.max.descendants"), "cgroup.max.descendants");
        var bad = box.Open("unibad");
        bad.Create();
        var e = Expect.Throws(() => bad.Apply(new LinuxResources { Unified = new() { ["../escape"] = "1" } }), "a key with a slash");
        Expect.True(e.Message.Contains("no slashes"), e.Message);
    }

    private static void DevicesEffect(CgroupSandbox box)
    {
        var cgroup = box.CreateWith("dev", new LinuxResources { Devices = [new DeviceCgroupRule { Allow = false, Access = "rwm" }] });
        var probe = box.StartIn(cgroup, "head -c1 /dev/zero >/dev/null && echo zero-ok; head -c1 /dev/ram0 >/dev/null 2>&1 && echo ram-open || echo ram-denied");
        string output = probe.StandardOutput.ReadToEnd().Trim().Replace('\n', ' ');
        Expect.Equal("zero-ok ram-denied", output, "device access inside the cgroup");
        var outside = box.Start("head -c1 /dev/ram0 >/dev/null 2>&1 && echo ram-open || echo ram-denied");
        Expect.Equal("ram-open", outside.StandardOutput.ReadToEnd().Trim(), "the same device outside the cgroup");
    }

    private static void LimitBelowBusyParent(CgroupSandbox box)
    {
        var parent = box.CreateWith("busy", null);
        box.StartIn(parent, "exec sleep 100");
        var child = box.Open("busy/inner");
        child.Create();
        var e = Expect.Throws(() => child.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 64 << 20 } }), "memory limit");
        Expect.True(e.Message.Contains($"{box.V2Dir("busy")} has processes of its own"), e.Message);
    }

    private static void ForkBomb(CgroupSandbox box)
    {
        var cgroup = box.CreateWith("bomb", new LinuxResources { Pids = new PidsResources { Limit = 5 } });
        var bomb = box.StartIn(cgroup, "i=0; while [ $i -lt 40 ]; do sleep 300 >/dev/null 2>&1 & i=$((i+1)); done; sleep 300");
        Expect.WaitUntil(() => !CgroupSandbox.Read(box.V2Dir("bomb"), "pids.events").EndsWith(" 0"), "pids.events counts refused forks");
        Expect.True(int.Parse(CgroupSandbox.Read(box.V2Dir("bomb"), "pids.current")) <= 5, "pids.current stays at most 5");
        Expect.True(cgroup.Processes().Count <= 5, "at most 5 processes");
        Expect.True(cgroup.Stats().Pids.Limit == 5, "stats report the limit");
        _ = bomb;
    }

    private static void CpuQuotaEffect(CgroupSandbox box)
    {
        var cgroup = box.CreateWith("quota", new LinuxResources { Cpu = new CpuResources { Quota = 10000, Period = 100000 } });
        box.StartIn(cgroup, "while :; do :; done");
        ulong before = cgroup.Stats().Cpu.Usage.Total;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(2000);
        var stats = cgroup.Stats();
        double used = (stats.Cpu.Usage.Total - before) / 1e9, wall = clock.Elapsed.TotalSeconds;
        // One period of slack: where the window cuts a period, a period's quota may fall on either side.
        Expect.True(used <= wall * 0.1 + 0.1, $"used {used:F3} s of cpu in {wall:F3} s with a 10% quota");
        Expect.True(stats.Cpu.Throttling.ThrottledPeriods > 0, "cpu.stat nr_throttled");
    }

    private static void OomWatchEnds(CgroupSandbox box)
    {
        var cgroup = box.CreateWith("ends", null);
        var quick = box.StartIn(cgroup, "sleep 1");
        using var watch = cgroup.WatchOom();
        Expect.Equal(OomWaitResult.Ended, watch.Wait(TimeSpan.FromSeconds(60)), "the watch ends when the cgroup empties");
        quick.WaitForExit();
    }

    private static void InvalidValues(CgroupSandbox box)
    {
        var cgroup = box.Open("bad/quota");
        cgroup.Create();
        var e = Expect.Throws(() => cgroup.Apply(new LinuxResources { Cpu = new CpuResources { Quota = -5 } }), "quota -5");
        Expect.Equal("cgroup: cpu quota -5 is invalid: give microseconds per period, or -1 for no limit", e.Message, "message");
        var refused = Expect.Throws(() => cgroup.Apply(new LinuxResources { Cpu = new CpuResources { Quota = 1000, Period = 500 } }), "period 500");
        Expect.Equal($"cgroup: writing \"1000 500\" to {box.V2Dir("bad/quota")}/cpu.max: invalid argument", refused.Message, "message");
        var device = Expect.Throws(() => cgroup.Apply(new LinuxResources { Devices = [new DeviceCgroupRule { Type = "q", Access = "r" }] }), "device type q");
        Expect.True(device.Message.StartsWith("cgroup: device rule 0 has type \"q\""), device.Message);
        cgroup.Destroy();
        Expect.True(!Directory.Exists(box.Layout.UnifiedMountPoint + box.Parent), "nothing left behind");
    }

    private static void V1OnlyRefused(CgroupSandbox box)
    {
        var cgroup = box.Open("v1only");
        cgroup.Create();
        var net = Expect.Throws(() => cgroup.Apply(new LinuxResources { Network = new NetworkResources { ClassId = 1 } }), "classID");
        Expect.Equal("cgroup: a network classID was requested but net_cls exists only in cgroup v1", net.Message, "message");
        var rt = Expect.Throws(() => cgroup.Apply(new LinuxResources { Cpu = new CpuResources { RealtimeRuntime = 1000 } }), "realtime");
        Expect.True(rt.Message.Contains("exist only in cgroup v1"), rt.Message);
    }
}
