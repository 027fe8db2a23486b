using System.Runtime.InteropServices;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// process.ioPriority, process.scheduler, the CPU affinity the process starts with, and the LSM
/// labels, observed from inside the container (busybox ionice, /proc/self/sched, /proc/self/stat,
/// /proc/self/status) or as the error a client reads.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ProcessAttributeTests(Suite suite)
{
    private const string NotInRunc115 = "runc 1.1.5 predates process.ioPriority and process.scheduler (runc 1.2) and ignores them";

    [SkiffOnlyFact(NotInRunc115)]
    public void IoPriority_is_set_for_the_process()
    {
        using var c = new TestContainer(suite);
        c.Process.IoPriority = new IoPriority { Class = "IOPRIO_CLASS_BE", Priority = 6 };
        c.Shell("ionice -p $$");

        Assert.Equal("best-effort: prio 6", c.Output().Trim());
    }

    [SkiffOnlyFact(NotInRunc115)]
    public void IoPriority_idle_class_is_set_for_the_process()
    {
        using var c = new TestContainer(suite);
        c.Process.IoPriority = new IoPriority { Class = "IOPRIO_CLASS_IDLE", Priority = 0 };
        c.Shell("ionice -p $$");

        Assert.StartsWith("idle", c.Output().Trim());
    }

    [SkiffOnlyFact(NotInRunc115)]
    public void Scheduler_policy_and_nice_are_set_for_the_process()
    {
        using var c = new TestContainer(suite);
        c.Process.Scheduler = new Scheduler { Policy = "SCHED_BATCH", Nice = 7 };
        // /proc/self/stat field 19 is the nice value; /proc/self/sched names the policy (3: SCHED_BATCH).
        c.Shell("cut -d' ' -f19 /proc/self/stat; grep '^policy' /proc/self/sched | tr -d ' '");

        var lines = c.Output().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["7", "policy:3"], lines);
    }

    [SkiffOnlyFact(NotInRunc115)]
    public void Scheduler_idle_policy_is_set_for_the_process()
    {
        using var c = new TestContainer(suite);
        c.Process.Scheduler = new Scheduler { Policy = "SCHED_IDLE" };
        c.Shell("grep '^policy' /proc/self/sched | tr -d ' '");

        Assert.Equal("policy:5", c.Output().Trim());
    }

    [SkiffOnlyFact(NotInRunc115)]
    public void Scheduler_realtime_policy_and_priority_are_set_for_the_process()
    {
        // This kernel schedules real-time tasks per cgroup (cpu.rt_runtime_us): a new cgroup has no
        // real-time time at all, so the container's cgroup, and the suite's parent above it, get some.
        string parent = $"/sys/fs/cgroup/cpu/{suite.CgroupParent}";
        Assert.True(File.Exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"), "expects RT group scheduling (cgroup v1 cpu.rt_runtime_us)");
        Directory.CreateDirectory(parent);
        File.WriteAllText(Path.Combine(parent, "cpu.rt_runtime_us"), "20000");
        try
        {
            using var c = new TestContainer(suite);
            c.Linux.Resources ??= new LinuxResources();
            c.Linux.Resources.Cpu = new CpuResources { RealtimeRuntime = 10000 };
            c.Process.Scheduler = new Scheduler { Policy = "SCHED_RR", Priority = 10 };
            // /proc/self/stat field 18 is the kernel's priority: -1 - rt_priority for a real-time task.
            c.Shell("cut -d' ' -f18 /proc/self/stat; grep '^policy' /proc/self/sched | tr -d ' '");

            var lines = c.Output().Split('\n', StringSplitOptions.RemoveEmptyEntries);

            Assert.Equal(["-11", "policy:2"], lines);
        }
        finally
        {
            // A removed cgroup gives its real-time time back only once the kernel has freed it (after an RCU grace period).
            Wait.Until(() => TryWrite(Path.Combine(parent, "cpu.rt_runtime_us"), "0"), "the suite's cgroup to give back its real-time time");
        }
    }

    [SkiffOnlyFact(NotInRunc115)]
    public void Realtime_policy_without_realtime_cgroup_time_is_refused_with_the_reason()
    {
        using var c = new TestContainer(suite);
        c.Process.Scheduler = new Scheduler { Policy = "SCHED_FIFO", Priority = 1 };
        c.Shell("true");

        AssertFailedWithOneLine(c.Run(), "realtimeRuntime");
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyFact(NotInRunc115)]
    public void Invalid_process_attributes_are_refused_naming_the_field()
    {
        (string Field, Action<Process> Spoil)[] cases =
        [
            ("process.ioPriority.class", p => p.IoPriority = new IoPriority { Class = "IOPRIO_CLASS_FAST", Priority = 0 }),
            ("process.ioPriority.priority", p => p.IoPriority = new IoPriority { Class = "IOPRIO_CLASS_BE", Priority = 8 }),
            ("process.scheduler.policy", p => p.Scheduler = new Scheduler { Policy = "SCHED_FAST" }),
            ("process.scheduler.priority", p => p.Scheduler = new Scheduler { Policy = "SCHED_OTHER", Priority = 5 }),
            ("process.scheduler.flags", p => p.Scheduler = new Scheduler { Policy = "SCHED_OTHER", Flags = ["SCHED_FLAG_BOGUS"] }),
        ];
        foreach (var (field, spoil) in cases)
        {
            using var c = new TestContainer(suite);
            spoil(c.Process);
            c.Shell("true");

            AssertFailedWithOneLine(c.Run(), field);
            c.AssertNothingLeftBehind();
        }
    }

    [SkiffOnlyFact("runc 1.1.5 lets the container inherit the affinity of whoever started runc; runc 1.2 resets it as skiff-runc does")]
    public void Process_does_not_inherit_the_runtimes_cpu_affinity()
    {
        string online = File.ReadAllText("/sys/devices/system/cpu/online").Trim();
        Assert.True(online.Contains('-') || online.Contains(','), $"needs two CPUs, this host has {online}");
        using var c = new TestContainer(suite);
        c.Shell("grep Cpus_allowed_list /proc/self/status");

        // The runtime is forked from this thread and inherits its affinity: only the first CPU.
        string output = OnFirstCpuOnly(() => c.Output());

        Assert.Equal($"Cpus_allowed_list:\t{online}", output.Trim());
    }

    [SkiffOnlyFact("runc 1.1.5 predates execCPUAffinity (runc 1.3)")]
    public void Exec_cpu_affinity_from_the_config_applies_to_exec_not_to_init()
    {
        string online = File.ReadAllText("/sys/devices/system/cpu/online").Trim();
        Assert.Equal("0-1", online);
        using var c = new TestContainer(suite);
        c.Process.ExecCpuAffinity = new CpuAffinity { Initial = "0", Final = "1" };
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        var exec = c.Cli.Invoke("exec", c.Id, "grep", "Cpus_allowed_list", "/proc/self/status").AssertSuccess();

        Assert.Equal("Cpus_allowed_list:\t1", exec.Stdout.Trim());
        Assert.Equal("Cpus_allowed_list:\t0-1", File.ReadLines($"/proc/{c.PidFromFile()}/status").Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)));
    }

    [SkiffOnlyFact("runc 1.1.5 predates execCPUAffinity (runc 1.3)")]
    public void Exec_cpu_affinity_of_the_process_file_wins_over_the_config()
    {
        using var c = new TestContainer(suite);
        c.Process.ExecCpuAffinity = new CpuAffinity { Final = "1" };
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        var process = new Process
        {
            Args = ["grep", "Cpus_allowed_list", "/proc/self/status"], Cwd = "/", Env = ["PATH=/bin:/usr/bin"],
            ExecCpuAffinity = new CpuAffinity { Final = "0" },
        };
        string file = Path.Combine(c.Dir, "process.json");
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(process, OciJsonContext.Default.Process));

        var exec = c.Cli.Invoke("exec", "--process", file, c.Id).AssertSuccess();

        Assert.Equal("Cpus_allowed_list:\t0", exec.Stdout.Trim());
    }

    [Fact]
    public void AppArmor_profile_on_a_host_without_apparmor_is_an_error()
    {
        Assert.False(Directory.Exists("/sys/kernel/security/apparmor"), "AppArmor is enabled here: this test expects it absent");
        using var c = new TestContainer(suite);
        c.Process.ApparmorProfile = "skiff-test-profile";
        c.Shell("true");

        AssertFailedWithOneLine(c.Run(), "apparmor");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Selinux_process_label_on_a_host_without_selinux_is_an_error_as_in_runc()
    {
        Assert.False(File.Exists("/sys/fs/selinux/enforce"), "SELinux is enabled here: this test expects it off");
        using var c = new TestContainer(suite);
        c.Process.SelinuxLabel = "system_u:system_r:container_t:s0:c1,c2";
        c.Shell("true");

        AssertFailedWithOneLine(c.Run(), "selinux");
        c.AssertNothingLeftBehind();
    }

    private static bool TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static T OnFirstCpuOnly<T>(Func<T> action)
    {
        var saved = new ulong[16];
        if (SchedGetaffinity(0, (nuint)(saved.Length * 8), saved) < 0)
            throw new IOException($"sched_getaffinity: {Native.Describe(Marshal.GetLastPInvokeError())}");
        ulong[] first = [1UL];
        if (SchedSetaffinity(0, 8, first) != 0)
            throw new IOException($"sched_setaffinity: {Native.Describe(Marshal.GetLastPInvokeError())}");
        try
        {
            return action();
        }
        finally
        {
            SchedSetaffinity(0, (nuint)(saved.Length * 8), saved);
        }
    }

    private static void AssertFailedWithOneLine(CliResult result, string fragment)
    {
        Assert.True(result.ExitCode != 0, $"expected a failure\n{result}");
        Assert.True(result.StderrLines.Count == 1, $"expected one line on stderr\n{result}");
        Assert.True(result.StderrLines[0].Contains(fragment, StringComparison.OrdinalIgnoreCase), $"error does not mention \"{fragment}\": {result.StderrLines[0]}");
    }

    [DllImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static extern int SchedSetaffinity(int pid, nuint size, ulong[] mask);

    [DllImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static extern int SchedGetaffinity(int pid, nuint size, ulong[] mask);
}
