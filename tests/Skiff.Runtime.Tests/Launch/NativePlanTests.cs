using System.Runtime.InteropServices;
using System.Text;
using Skiff.Oci.Runtime;
using Skiff.Runtime;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

/// <summary>What the child reads from the arena is what the planner made: every step, field by field.</summary>
public unsafe class NativePlanTests
{
    private static string? Read(byte* text) => text == null ? null : Marshal.PtrToStringUTF8((nint)text);

    private static List<string>? Read(byte** vector)
    {
        if (vector == null) return null;
        var items = new List<string>();
        for (byte** item = vector; *item != null; item++) items.Add(Read(*item)!);
        return items;
    }

    [Fact]
    public void A_whole_plan_round_trips_through_the_arena()
    {
        var spec = new Spec
        {
            OciVersion = "1.2.0",
            Root = new Root { Path = "rootfs" },
            Hostname = "höst-ü",
            Process = new Process { Args = ["sh", "-c", "echo ☃"], Cwd = "/", Env = ["PATH=/bin", "A=ß"] },
            Mounts = [new Mount { Destination = "/data", Type = "bind", Source = "/etc", Options = ["rbind", "ro"] }],
            Linux = new Oci.Runtime.Linux { Namespaces = [new() { Type = "mount" }, new() { Type = "uts" }] },
        };
        LaunchPlan plan = LaunchPlanner.Plan(new LaunchInputs(spec, "/bundle", "/bundle/rootfs", new LaunchFds(10, 11, true, -1, 12))
            { Paths = LaunchPlannerTests.HostFiles });

        using var native = new NativePlan(plan.Steps, 10);
        ChildContext* context = native.Context;
        Assert.Equal(plan.Steps.Count, context->Count);
        Assert.Equal(10, context->SyncFd);
        for (int i = 0; i < plan.Steps.Count; i++)
        {
            Step step = plan.Steps[i];
            RawStep* raw = context->Steps + i;
            Assert.Equal(step.Kind, raw->Kind);
            Assert.Equal(step.Fd, raw->Fd);
            Assert.Equal((step.A, step.B, step.C, step.D, step.E), (raw->A, raw->B, raw->C, raw->D, raw->E));
            if (step.Bytes1 is { } bytes) Assert.Equal(bytes, new ReadOnlySpan<byte>(raw->S1, bytes.Length).ToArray());
            else Assert.Equal(step.S1, Read(raw->S1));
            Assert.Equal(step.S2, Read(raw->S2));
            Assert.Equal(step.S3, Read(raw->S3));
            Assert.Equal(step.S4, Read(raw->S4));
            Assert.Equal(step.V1, Read(raw->V1));
            Assert.Equal(step.V2, Read(raw->V2));
        }
        RawStep* exec = context->Steps + (plan.Steps.Count - 1);
        Assert.Equal(StepKind.Exec, exec->Kind);
        Assert.Equal(["sh", "-c", "echo ☃"], Read(exec->V1)!);
        Assert.Contains(plan.Steps, s => s.Kind == StepKind.SetHostname && s.A == Encoding.UTF8.GetByteCount("höst-ü"));
    }

    [Fact]
    public void A_string_with_a_NUL_never_reaches_the_child()
    {
        Step step = Step.Chdir("chdir to cwd /a", "/a\0/b");
        var e = Assert.Throws<RuntimeException>(() => new NativePlan([step], 3));
        Assert.Contains("chdir to cwd /a: a string contains a NUL byte", e.Message);
    }
}
