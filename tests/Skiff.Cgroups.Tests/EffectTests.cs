using Skiff.Cgroups.Events;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Tests;

/// <summary>What the limits do to real processes: forks refused, memory hogs killed, devices closed.</summary>
public sealed class EffectTests : IDisposable
{
    private readonly CgroupSandbox _box = new();

    public void Dispose() => _box.Dispose();

    [Fact]
    public void A_fork_bomb_stops_at_pids_max()
    {
        var cgroup = _box.CreateWith("bomb", new LinuxResources { Pids = new PidsResources { Limit = 5 } });
        // Bounded to 40 forks; dash gives up at the first fork the kernel refuses, leaving the sleeps it made.
        var bomb = _box.StartIn(cgroup, "i=0; while [ $i -lt 40 ]; do sleep 300 >/dev/null 2>&1 & i=$((i+1)); done");
        Assert.True(bomb.WaitForExit(60_000));
        Assert.NotEqual(0, bomb.ExitCode);
        Assert.Contains("fork", bomb.StandardError.ReadToEnd(), StringComparison.OrdinalIgnoreCase);
        string dir = _box.V1Dir("pids", "bomb");
        // The shell and four sleeps made five: the fifth fork was refused, the shell has gone, four sleeps remain.
        Assert.Equal("5", CgroupSandbox.Read(dir, "pids.peak"));
        Assert.NotEqual("max 0", CgroupSandbox.Read(dir, "pids.events"));
        Assert.Equal(4, cgroup.Processes().Count);
        Assert.Equal(4UL, cgroup.Stats().Pids.Current);
        foreach (int pid in cgroup.Processes()) KillQuietly(pid);
    }

    [Fact]
    public void A_busy_loop_gets_no_more_than_its_cpu_quota()
    {
        // 10 ms every 100 ms: whatever the machine's load, the loop cannot use more than a tenth of the
        // wall clock (plus a period of slack), and the kernel records the throttling.
        var cgroup = _box.CreateWith("quota", new LinuxResources { Cpu = new CpuResources { Quota = 10000, Period = 100000 } });
        _box.StartIn(cgroup, "while :; do :; done");
        string acct = _box.V1Dir("cpuacct", "quota");
        ulong before = ulong.Parse(CgroupSandbox.Read(acct, "cpuacct.usage"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(1500);
        ulong used = ulong.Parse(CgroupSandbox.Read(acct, "cpuacct.usage")) - before;
        double wall = clock.Elapsed.TotalSeconds;
        Assert.InRange(used / 1e9, 0, wall * 0.1 + 0.1);
        Assert.True(cgroup.Stats().Cpu.Throttling.ThrottledPeriods > 0);
    }

    [Fact]
    public void The_oom_watch_ends_when_the_cgroup_is_removed()
    {
        var cgroup = _box.CreateWith("gone", null);
        using var watch = cgroup.WatchOom();
        cgroup.Destroy();
        Assert.Equal(OomWaitResult.Ended, watch.Wait(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void A_denied_device_cannot_be_opened_while_an_allowed_one_can()
    {
        var cgroup = _box.CreateWith("devices", new LinuxResources
        {
            Devices = [new DeviceCgroupRule { Allow = false, Access = "rwm" }],
        });
        // /dev/null is a runc default; the root disk is not, whatever its numbers.
        string disk = File.Exists("/dev/vda") ? "/dev/vda" : "/dev/sda";
        var probe = _box.StartIn(cgroup, $"head -c1 /dev/null && echo null-ok; head -c1 {disk} >/dev/null 2>&1 && echo disk-open || echo disk-denied");
        Assert.Equal("null-ok", probe.StandardOutput.ReadLine());
        Assert.Equal("disk-denied", probe.StandardOutput.ReadLine());
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
        }
    }
}
