using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// The session keyring, linux.personality and linux.intelRdt: the first two observable from inside,
/// the last refused where the host cannot honour it.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class LinuxExtrasTests(Suite suite)
{
    /// <summary>The serial of the keyring runc names "_ses.ID", as /proc/keys lists it to the process.</summary>
    private static string KeyringScript(string id) => $"grep ' _ses.{id}: ' /proc/keys | cut -d' ' -f1; echo end";

    [Fact]
    public void The_container_gets_its_own_session_keyring_and_an_exec_joins_it()
    {
        using var c = new TestContainer(suite);
        c.Linux.MaskedPaths!.Remove("/proc/keys"); // masked by default: the test reads it
        c.Share().Shell(KeyringScript(c.Id).Replace("; echo end", " > /share/keyring.tmp; mv /share/keyring.tmp /share/keyring; sleep 600"));
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        string initKeyring = Wait.ForFile(c.SharedFile("keyring")).Trim();
        Assert.Matches("^[0-9a-f]+$", initKeyring);

        var exec = c.Cli.Invoke("exec", c.Id, "sh", "-c", KeyringScript(c.Id)).AssertSuccess();
        Assert.Equal($"{initKeyring}\nend\n", exec.Stdout);
    }

    [Fact]
    public void No_new_keyring_leaves_the_callers_session_keyring()
    {
        using var c = new TestContainer(suite);
        c.Linux.MaskedPaths!.Remove("/proc/keys");
        c.Shell(KeyringScript(c.Id));
        c.WriteConfig();
        var result = c.Cli.Invoke("run", "--no-new-keyring", "--bundle", c.BundleDir, c.Id).AssertSuccess();
        Assert.Equal("end\n", result.Stdout);
    }

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
