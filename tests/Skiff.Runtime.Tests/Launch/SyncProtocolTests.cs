using Skiff.Oci.Runtime;
using Skiff.Runtime;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

/// <summary>The parent takes the child's messages only in the order the protocol draws.</summary>
public class SyncProtocolTests
{
    public static TheoryData<SyncKind[]> InOrder => new()
    {
        new[] { SyncKind.NeedSetup, SyncKind.Ready },
        new[] { SyncKind.NeedSetup, SyncKind.Pid, SyncKind.Ready },
        new[] { SyncKind.NeedSetup, SyncKind.CopyUp, SyncKind.CopyUp, SyncKind.NeedRuntimeHooks, SyncKind.SeccompListener, SyncKind.Ready },
        new[] { SyncKind.NeedSetup, SyncKind.Failed },
        new[] { SyncKind.Failed },
    };

    public static TheoryData<SyncKind[]> OutOfOrder => new()
    {
        new[] { SyncKind.Ready },
        new[] { SyncKind.Pid },
        new[] { SyncKind.NeedSetup, SyncKind.Pid, SyncKind.NeedSetup },
        new[] { SyncKind.NeedSetup, SyncKind.NeedSetup },
        new[] { SyncKind.NeedSetup, SyncKind.Ready, SyncKind.Ready },
        new[] { SyncKind.NeedSetup, SyncKind.NeedRuntimeHooks, SyncKind.CopyUp },
        new[] { SyncKind.NeedSetup, SyncKind.SeccompListener, SyncKind.NeedRuntimeHooks },
        new[] { SyncKind.NeedSetup, SyncKind.Pid, SyncKind.Pid },
        new[] { SyncKind.NeedSetup, SyncKind.Go },
    };

    [Theory]
    [MemberData(nameof(InOrder))]
    public void Messages_in_the_drawn_order_are_taken(SyncKind[] messages)
    {
        var protocol = new SyncProtocol();
        foreach (SyncKind kind in messages) protocol.Accept(kind);
    }

    [Theory]
    [MemberData(nameof(OutOfOrder))]
    public void A_message_out_of_order_stops_the_launch(SyncKind[] messages)
    {
        var protocol = new SyncProtocol();
        foreach (SyncKind kind in messages[..^1]) protocol.Accept(kind);
        var e = Assert.Throws<RuntimeException>(() => protocol.Accept(messages[^1]));
        Assert.Contains("container init sent", e.Message);
    }

    /// <summary>Every plan the planner makes sends its messages in an order the protocol takes.</summary>
    [Fact]
    public void A_plan_with_every_optional_message_follows_the_protocol()
    {
        var spec = new Spec
        {
            OciVersion = "1.2.0",
            Root = new Root { Path = "rootfs" },
            Process = new Process { Args = ["sh"], Cwd = "/", Env = ["PATH=/bin"] },
            Hooks = new Hooks { Prestart = [new Hook { Path = "/bin/true" }] },
            Mounts = [new Mount { Destination = "/run", Type = "tmpfs", Source = "tmpfs", Options = ["tmpcopyup"] }],
            Linux = new Oci.Runtime.Linux
            {
                Namespaces = [new() { Type = "pid", Path = "/proc/1/ns/pid" }, new() { Type = "mount" }],
                Seccomp = new Oci.Runtime.Seccomp { DefaultAction = "SCMP_ACT_ALLOW", ListenerPath = "/run/listener", Syscalls = [new() { Names = ["mkdir"], Action = "SCMP_ACT_NOTIFY" }] },
            },
        };
        LaunchPlan plan = LaunchPlanner.Plan(new LaunchInputs(spec, "/bundle", "/bundle/rootfs", new LaunchFds(10, 11, true, -1, 12)
        {
            Namespaces = new Dictionary<string, int> { ["pid"] = 20 },
        }));

        var sent = new List<SyncKind>();
        foreach (Step step in plan.Steps)
        {
            if (step.Kind == StepKind.Notify) sent.Add((SyncKind)step.A);
            else if (step.Kind == StepKind.Fork) sent.Add(SyncKind.Pid);
            else if (step.Kind == StepKind.SeccompNotify) sent.Add(SyncKind.SeccompListener);
            else if (step.Kind == StepKind.MountInRoot && step.Description.EndsWith("(tmpcopyup)")) sent.Add(SyncKind.CopyUp);
        }
        Assert.Equal([SyncKind.NeedSetup, SyncKind.Pid, SyncKind.CopyUp, SyncKind.NeedRuntimeHooks, SyncKind.SeccompListener, SyncKind.Ready], sent);
        var protocol = new SyncProtocol();
        foreach (SyncKind kind in sent) protocol.Accept(kind);
    }
}
