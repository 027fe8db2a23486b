using Skiff.Oci.Runtime;
using Skiff.Runtime;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

/// <summary>The host the planner is told about, not the one the test runs on, decides the plan.</summary>
public class HostFactsTests
{
    private static Spec SpecWithRdt(bool rdt) => new()
    {
        OciVersion = "1.2.0",
        Root = new Root { Path = "rootfs" },
        Process = new Process { Args = ["sh"], Cwd = "/", Env = ["PATH=/bin:/usr/bin"] },
        Linux = new Oci.Runtime.Linux
        {
            Namespaces = [new() { Type = "pid" }, new() { Type = "mount" }],
            IntelRdt = rdt ? new IntelRdt { ClosId = "skiff-test" } : null,
        },
    };

    private static LaunchPlan Plan(Spec spec, HostFacts host) =>
        LaunchPlanner.Plan(new LaunchInputs(spec, "/bundle", "/bundle/rootfs", new LaunchFds(10, 11, true, -1, 12)) { Host = host });

    [Fact]
    public void Intel_rdt_on_a_host_without_resctrl_is_refused_by_name()
    {
        var e = Assert.Throws<RuntimeException>(() => Plan(SpecWithRdt(true), new HostFacts(Resctrl: false)));
        Assert.Equal("config.json: linux.intelRdt is set, but this host has no resctrl filesystem", e.Message);
    }

    [Fact]
    public void Intel_rdt_on_a_host_with_resctrl_plans_the_same_child_steps_as_without_it()
    {
        LaunchPlan with = Plan(SpecWithRdt(true), new HostFacts(Resctrl: true));
        LaunchPlan without = Plan(SpecWithRdt(false), new HostFacts(Resctrl: false));
        Assert.Equal(without.CloneFlags, with.CloneFlags);
        Assert.Equal(without.Steps.Select(s => (s.Kind, s.Description)), with.Steps.Select(s => (s.Kind, s.Description)));
    }
}
