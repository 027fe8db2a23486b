using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>linux.personality and linux.intelRdt: the first observable from inside, the second refused where the host cannot honour it.</summary>
[Collection(ContainerCollection.Name)]
public sealed class LinuxExtrasTests(Suite suite)
{
    [SkiffOnlyFact("runc 1.1.5 predates linux.personality")]
    public void Personality_linux32_makes_the_container_report_a_32_bit_machine()
    {
        using var c = new TestContainer(suite);
        c.Linux.Personality = new Personality { Domain = "LINUX32" };
        c.Shell("uname -m");
        Assert.Equal("i686\n", c.Output());
    }

    [Fact]
    public void Personality_linux_keeps_the_hosts_machine()
    {
        using var c = new TestContainer(suite);
        c.Linux.Personality = new Personality { Domain = "LINUX" };
        c.Shell("uname -m");
        Assert.Equal("x86_64\n", c.Output());
    }

    [SkiffOnlyFact("runc's wording differs")]
    public void An_unknown_personality_domain_is_refused_by_name()
    {
        using var c = new TestContainer(suite);
        c.Linux.Personality = new Personality { Domain = "LINUX64" };
        c.Shell("true");
        var result = c.Run();
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("LINUX64", result.Stderr);
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyFact("runc 1.1.5 words it differently")]
    public void Intel_rdt_is_refused_with_a_reason_on_a_host_without_resctrl()
    {
        Assert.False(Directory.Exists("/sys/fs/resctrl/info"), "this host has resctrl: the refusal cannot be shown here");
        using var c = new TestContainer(suite);
        c.Linux.IntelRdt = new IntelRdt { ClosId = "skiff-test", L3CacheSchema = "L3:0=f" };
        c.Shell("true");
        var result = c.Run();
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("intelRdt", result.Stderr);
        Assert.Contains("resctrl", result.Stderr);
        c.AssertNothingLeftBehind();
    }
}
