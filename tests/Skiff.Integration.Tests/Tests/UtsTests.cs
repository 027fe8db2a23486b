using Skiff.Integration.Tests.Infrastructure;
using Skiff.Integration.Tests.Tests.Security;

namespace Skiff.Integration.Tests.Tests;

/// <summary>hostname and domainname against the UTS namespace they land in, and the sysctls that would say otherwise.</summary>
[Collection(ContainerCollection.Name)]
public sealed class UtsTests(Suite suite)
{
    [Fact]
    public void Hostname_is_set_in_a_joined_uts_namespace()
    {
        using var owner = new TestContainer(suite);
        owner.Spec.Hostname = "owner";
        owner.Shell("sleep 600");
        owner.Create().AssertSuccess();

        using var joiner = new TestContainer(suite);
        Attack.JoinNamespace(joiner, "uts", owner.PidFromFile(), "uts");
        joiner.Spec.Hostname = "joined";
        joiner.Shell("hostname");

        Assert.Equal("joined\n", joiner.Output());
        // The namespace is the owner's: it now has the new name too.
        Assert.Equal("joined", owner.Cli.Invoke("exec", owner.Id, "hostname").AssertSuccess().Stdout.Trim());
    }

    [SkiffOnlyTheory("runc 1.1.5 refuses only the kernel.hostname conflict, and without naming the value")]
    [InlineData("kernel.hostname", "other-name")]
    [InlineData("kernel/hostname", "other-name")]
    [InlineData("kernel.domainname", "other.example")]
    public void A_sysctl_contradicting_the_hostname_or_domainname_is_refused(string key, string value)
    {
        using var c = new TestContainer(suite);
        c.Spec.Domainname = "skt.example";
        c.Linux.Sysctl = new Dictionary<string, string> { [key] = value };

        var result = c.Create();

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(value, result.Stderr);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void A_sysctl_agreeing_with_the_hostname_is_accepted()
    {
        using var c = new TestContainer(suite);
        c.Linux.Sysctl = new Dictionary<string, string> { ["kernel.hostname"] = c.Spec.Hostname! };
        c.Shell("hostname");
        Assert.Equal(c.Spec.Hostname + "\n", c.Output());
    }
}
