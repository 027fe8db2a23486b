using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>An init the OOM killer ends before it execs is not the workload's OOM: the user is told so.</summary>
[Collection(ContainerCollection.Name)]
public sealed class OomTests(Suite suite)
{
    private const string Why = "runc 1.1.5 refuses such a limit up front, below its own usage";

    [SkiffOnlyTheory(Why)]
    [InlineData("run")]
    [InlineData("create")]
    public void An_init_oom_killed_before_exec_is_named_as_such(string verb)
    {
        using var c = new TestContainer(suite);
        c.Linux.Resources = new LinuxResources { Memory = new MemoryResources { Limit = 32768 } };
        c.Shell("echo started");

        var result = verb == "run" ? c.Run() : c.Create();

        Assert.True(result.ExitCode == 1, $"expected the runtime's own failure, not the workload's exit status\n{result}");
        Assert.Equal("", result.Stdout);
        Assert.Contains("container init was killed by the OOM killer before the process started", result.Stderr);
        Assert.Contains("linux.resources.memory.limit 32768", result.Stderr);
        c.AssertNothingLeftBehind();
    }

    /// <summary>Positive control: with room to start, the same container runs.</summary>
    [Fact]
    public void With_room_to_start_the_same_container_runs()
    {
        using var c = new TestContainer(suite);
        c.Linux.Resources = new LinuxResources { Memory = new MemoryResources { Limit = 16 << 20 } };
        c.Shell("echo started");
        Assert.Equal("started\n", c.Output());
    }
}
