using System.Buffers.Binary;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

/// <summary>The process's own steps, read as data: the seccomp listener hand-over, scheduling, affinity and LSM labels.</summary>
public class ProcessStepsTests
{
    private const int Sync = 10;

    private static Spec MinimalSpec() => new()
    {
        OciVersion = "1.2.0",
        Root = new Root { Path = "rootfs" },
        Process = new Process { Args = ["sh"], Cwd = "/", Env = ["PATH=/bin"], NoNewPrivileges = true },
        Linux = new Oci.Runtime.Linux { Namespaces = [new() { Type = "pid" }, new() { Type = "mount" }] },
    };

    private static LaunchPlan Plan(Spec spec) =>
        LaunchPlanner.Plan(new LaunchInputs(spec, "/bundle", "/bundle/rootfs", new LaunchFds(Sync, 11, true, -1, 12)));

    private static List<StepKind> Kinds(LaunchPlan plan) => plan.Steps.Select(s => s.Kind).ToList();

    private static Oci.Runtime.Seccomp NotifyProfile(params string[] notified) => new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        ListenerPath = "/run/agent.sock",
        ListenerMetadata = "meta",
        Syscalls = [new SeccompSyscall { Names = [.. notified], Action = "SCMP_ACT_NOTIFY" }],
    };

    private static int IndexOfNotify(LaunchPlan plan, SyncKind kind) =>
        plan.Steps.ToList().FindIndex(s => s.Kind == StepKind.Notify && s.A == (long)kind);

    [Fact]
    public void Notify_filter_hands_its_listener_over_before_the_parent_stops_listening()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Seccomp = NotifyProfile("mkdir");
        LaunchPlan plan = Plan(spec);
        List<StepKind> kinds = Kinds(plan);

        Step notify = plan.Steps.Single(s => s.Kind == StepKind.SeccompNotify);
        Assert.Equal(Sync, notify.Fd);
        Assert.Equal("/run/agent.sock", notify.S2);
        Assert.Equal("meta", notify.S3);
        Assert.NotEqual(0, notify.B & Skiff.Seccomp.SeccompFilterFlags.NewListener);
        Assert.DoesNotContain(StepKind.Seccomp, kinds);
        // As late as it can be while create's parent still listens: after the identity, before "ready".
        Assert.True(kinds.IndexOf(StepKind.SetIds) < kinds.IndexOf(StepKind.SeccompNotify));
        Assert.True(kinds.IndexOf(StepKind.CloseFrom) < kinds.IndexOf(StepKind.SeccompNotify));
        Assert.Equal(kinds.IndexOf(StepKind.SeccompNotify) + 1, IndexOfNotify(plan, SyncKind.Ready));
    }

    [Fact]
    public void Notify_filter_without_no_new_privs_is_handed_over_after_everything_but_the_capset_it_needs()
    {
        Spec spec = MinimalSpec();
        spec.Process!.NoNewPrivileges = false;
        spec.Linux!.Seccomp = NotifyProfile("mkdir");
        LaunchPlan plan = Plan(spec);
        List<StepKind> kinds = Kinds(plan);

        Assert.True(kinds.IndexOf(StepKind.SetIds) < kinds.IndexOf(StepKind.SeccompNotify));
        Assert.True(kinds.IndexOf(StepKind.CloseFrom) < kinds.IndexOf(StepKind.SeccompNotify));
        Assert.Equal(StepKind.CapSet, kinds[kinds.IndexOf(StepKind.SeccompNotify) + 1]);
        Assert.Equal(kinds.IndexOf(StepKind.SeccompNotify) + 2, IndexOfNotify(plan, SyncKind.Ready));
    }

    [Fact]
    public void Filter_without_notify_still_loads_right_before_exec()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Seccomp = new Oci.Runtime.Seccomp { DefaultAction = "SCMP_ACT_ALLOW", Syscalls = [new SeccompSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO" }] };
        List<StepKind> kinds = Kinds(Plan(spec));

        Assert.Equal(kinds.Count - 2, kinds.IndexOf(StepKind.Seccomp));
        Assert.Equal(StepKind.UnblockSignals, kinds[^3]);
        Assert.DoesNotContain(StepKind.SeccompNotify, kinds);
    }

    [Fact]
    public void Notify_on_sendmsg_is_refused_because_the_hand_over_needs_it()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Seccomp = NotifyProfile("getppid", "sendmsg");

        var e = Assert.Throws<RuntimeException>(() => Plan(spec));
        Assert.Contains("sendmsg", e.Message);
    }

    [Fact]
    public void IoPriority_and_scheduler_are_set_before_the_user_changes()
    {
        Spec spec = MinimalSpec();
        spec.Process!.IoPriority = new IoPriority { Class = "IOPRIO_CLASS_BE", Priority = 6 };
        spec.Process.Scheduler = new Scheduler { Policy = "SCHED_BATCH", Nice = 5, Flags = ["SCHED_FLAG_RESET_ON_FORK"] };
        LaunchPlan plan = Plan(spec);
        List<StepKind> kinds = Kinds(plan);

        Assert.Equal((2L << 13) | 6, plan.Steps.Single(s => s.Kind == StepKind.IoPriority).A);
        byte[] attr = plan.Steps.Single(s => s.Kind == StepKind.Scheduler).Bytes1!;
        Assert.Equal(48u, BinaryPrimitives.ReadUInt32LittleEndian(attr));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(attr.AsSpan(4)));
        Assert.Equal(1ul, BinaryPrimitives.ReadUInt64LittleEndian(attr.AsSpan(8)));
        Assert.Equal(5, BinaryPrimitives.ReadInt32LittleEndian(attr.AsSpan(16)));
        Assert.True(kinds.IndexOf(StepKind.Scheduler) < kinds.IndexOf(StepKind.SetIds));
        Assert.True(kinds.IndexOf(StepKind.IoPriority) < kinds.IndexOf(StepKind.SetIds));
    }

    [Theory]
    [InlineData("IOPRIO_CLASS_NONE", 0, "process.ioPriority.class")]
    [InlineData("IOPRIO_CLASS_RT", 8, "process.ioPriority.priority")]
    [InlineData("IOPRIO_CLASS_IDLE", -1, "process.ioPriority.priority")]
    public void Invalid_io_priority_names_the_field(string ioClass, int priority, string field)
    {
        var e = Assert.Throws<RuntimeException>(() => ProcessScheduling.IoPriorityValue(new IoPriority { Class = ioClass, Priority = priority }));
        Assert.StartsWith(field, e.Message);
    }

    [Theory]
    [InlineData("", 0, 0, 0ul, "process.scheduler.policy")]
    [InlineData("SCHED_OTHER", 20, 0, 0ul, "process.scheduler.nice")]
    [InlineData("SCHED_BATCH", 0, 3, 0ul, "process.scheduler.priority")]
    [InlineData("SCHED_FIFO", 0, 3, 100ul, "process.scheduler.runtime")]
    public void Invalid_scheduler_names_the_field(string policy, int nice, int priority, ulong runtime, string field)
    {
        var scheduler = new Scheduler { Policy = policy, Nice = nice, Priority = priority, Runtime = runtime };
        var e = Assert.Throws<RuntimeException>(() => ProcessScheduling.SchedAttr(scheduler));
        Assert.StartsWith(field, e.Message);
    }

    [Fact]
    public void Cpu_lists_become_bit_masks()
    {
        byte[] mask = ProcessScheduling.CpuMask(" 0-2, 5,,66", "f");
        Assert.Equal(16, mask.Length);
        Assert.Equal(0b100111, mask[0]);
        Assert.Equal(0b100, mask[8]);
    }

    [Theory]
    [InlineData("3-1")]
    [InlineData("a")]
    [InlineData(",")]
    [InlineData("99999")]
    [InlineData("-1")]
    public void Bad_cpu_lists_name_the_field(string list)
    {
        var e = Assert.Throws<RuntimeException>(() => ProcessScheduling.CpuMask(list, "process.execCPUAffinity.final"));
        Assert.StartsWith("process.execCPUAffinity.final", e.Message);
    }

    [Fact]
    public void Init_process_gets_every_cpu_rather_than_the_runtimes_affinity()
    {
        Step affinity = Plan(MinimalSpec()).Steps.Single(s => s.Kind == StepKind.Affinity);
        Assert.Equal(ProcessScheduling.FullMaskBytes, affinity.A);
        Assert.All(affinity.Bytes1!, b => Assert.Equal(0xff, b));
    }

    [Fact]
    public void Init_process_ignores_exec_cpu_affinity()
    {
        Spec spec = MinimalSpec();
        spec.Process!.ExecCpuAffinity = new CpuAffinity { Initial = "0", Final = "1" };
        Step affinity = Plan(spec).Steps.Single(s => s.Kind == StepKind.Affinity);
        Assert.Equal(ProcessScheduling.FullMaskBytes, affinity.A);
    }

    [Fact]
    public void Initial_affinity_step_exists_only_with_an_initial_list()
    {
        Assert.Null(LaunchPlanner.InitialAffinityStep(null));
        Assert.Null(LaunchPlanner.InitialAffinityStep(new CpuAffinity { Final = "1" }));
        Step step = LaunchPlanner.InitialAffinityStep(new CpuAffinity { Initial = "1" })!;
        Assert.Equal(StepKind.Affinity, step.Kind);
        Assert.Equal(0b10, step.Bytes1![0]);
        Assert.Equal(8, step.A);
    }

    [Fact]
    public void AppArmor_profile_is_written_as_an_exec_transition_where_apparmor_runs()
    {
        var process = new Process { ApparmorProfile = "docker-default" };
        Step step = Assert.Single(LaunchPlanner.LabelSteps(process, new HostSecurityModules(AppArmor: true, Selinux: false)));
        Assert.Equal(StepKind.ExecLabel, step.Kind);
        Assert.Equal("thread-self/attr/apparmor/exec", step.S1);
        Assert.Equal("thread-self/attr/exec", step.S3);
        Assert.Equal("exec docker-default", step.S2);
        Assert.Equal(19, step.A);
    }

    [Fact]
    public void Labels_the_host_cannot_apply_are_errors()
    {
        var none = new HostSecurityModules(AppArmor: false, Selinux: false);
        Assert.Contains("AppArmor", Assert.Throws<RuntimeException>(() => LaunchPlanner.LabelSteps(new Process { ApparmorProfile = "p" }, none)).Message);
        Assert.Contains("SELinux", Assert.Throws<RuntimeException>(() => LaunchPlanner.LabelSteps(new Process { SelinuxLabel = "l" }, none)).Message);
    }

    [Fact]
    public void Selinux_label_is_written_to_the_exec_attribute_where_selinux_runs()
    {
        var process = new Process { SelinuxLabel = "system_u:system_r:container_t:s0" };
        Step step = Assert.Single(LaunchPlanner.LabelSteps(process, new HostSecurityModules(AppArmor: false, Selinux: true)));
        Assert.Equal("thread-self/attr/exec", step.S1);
        Assert.Null(step.S3);
        Assert.Equal("system_u:system_r:container_t:s0", step.S2);
    }
}
