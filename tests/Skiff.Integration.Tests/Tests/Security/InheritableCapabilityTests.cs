using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests.Security;

/// <summary>
/// CVE-2022-29162: the inheritable set is not limited by the bounding set, so a process that gets
/// inheritable capabilities the config did not ask for turns them into permitted ones by executing
/// a file with file-inheritable capabilities, however small its bounding set. The runtime here is
/// started with CAP_SYS_ADMIN, CAP_NET_RAW and CAP_SYS_PTRACE inheritable (as a caller's own
/// inheritable set would be passed on): none of it may reach the container.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class InheritableCapabilityTests(Suite suite)
{
    private const string InheritingCaller = "--inh-caps=+sys_admin,+net_raw,+sys_ptrace";

    [Fact]
    public void Cve_2022_29162_root_process_without_inheritable_capabilities_in_the_config_has_none()
    {
        using var c = new TestContainer(suite);
        c.Shell("grep -E '^Cap(Inh|Prm|Eff)' /proc/self/status");

        var caps = Capabilities(RunInheriting(c));

        Assert.Equal("0000000000000000", caps["CapInh"]);
    }

    [Fact]
    public void Cve_2022_29162_non_root_process_gains_nothing_from_a_file_with_inheritable_capabilities()
    {
        using var c = new TestContainer(suite);
        var fcap = Path.Combine(c.Rootfs, "fcap");
        Directory.CreateDirectory(fcap);
        File.Copy(Path.Combine(c.Rootfs, "bin", "busybox"), Path.Combine(fcap, "busybox")); // a copy: file caps must not touch the shared busybox
        HostCommand.Run("/usr/sbin/setcap", "cap_sys_admin,cap_net_raw,cap_sys_ptrace+ei", Path.Combine(fcap, "busybox"));
        c.Process.User = new User { Uid = 1000, Gid = 1000 };
        c.Process.NoNewPrivileges = false; // file capabilities apply: the attack's precondition
        c.Process.Args = ["/fcap/busybox", "grep", "-E", "^Cap(Inh|Prm|Eff)", "/proc/self/status"];

        var caps = Capabilities(RunInheriting(c));

        Assert.Equal("0000000000000000", caps["CapInh"]);
        Assert.Equal("0000000000000000", caps["CapPrm"]);
        Assert.Equal("0000000000000000", caps["CapEff"]);
    }

    [Fact]
    public void Cve_2022_29162_exec_process_without_inheritable_capabilities_has_none()
    {
        using var c = new TestContainer(suite);
        var fcap = Path.Combine(c.Rootfs, "fcap");
        Directory.CreateDirectory(fcap);
        File.Copy(Path.Combine(c.Rootfs, "bin", "busybox"), Path.Combine(fcap, "busybox"));
        HostCommand.Run("/usr/sbin/setcap", "cap_sys_admin,cap_net_raw,cap_sys_ptrace+ei", Path.Combine(fcap, "busybox"));
        c.Process.NoNewPrivileges = false;
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        var asRoot = Attack.InvokeRuntime("/usr/bin/setpriv", c,
            [InheritingCaller, "--", RuntimeUnderTest.BinaryPath, "--root", c.Cli.StateRoot, "exec", c.Id, "grep", "-E", "^Cap(Inh|Prm|Eff)", "/proc/self/status"],
            TimeSpan.FromSeconds(60)).AssertSuccess();
        var asUser = Attack.InvokeRuntime("/usr/bin/setpriv", c,
            [InheritingCaller, "--", RuntimeUnderTest.BinaryPath, "--root", c.Cli.StateRoot, "exec", "--user", "1000:1000", c.Id,
                "/fcap/busybox", "grep", "-E", "^Cap(Inh|Prm|Eff)", "/proc/self/status"],
            TimeSpan.FromSeconds(60)).AssertSuccess();

        Assert.Equal("0000000000000000", Capabilities(asRoot.Stdout)["CapInh"]);
        var user = Capabilities(asUser.Stdout);
        Assert.Equal("0000000000000000", user["CapInh"]);
        Assert.Equal("0000000000000000", user["CapPrm"]);
        Assert.Equal("0000000000000000", user["CapEff"]);
    }

    /// <summary>`run` under setpriv, which gives the runtime an inheritable set before it starts.</summary>
    private static string RunInheriting(TestContainer c)
    {
        c.WriteConfig();
        var result = Attack.InvokeRuntime("/usr/bin/setpriv", c,
            [InheritingCaller, "--", RuntimeUnderTest.BinaryPath, "--root", c.Cli.StateRoot, "run", "--bundle", c.BundleDir, c.Id],
            TimeSpan.FromSeconds(60));
        result.AssertSuccess();
        return result.Stdout;
    }

    private static Dictionary<string, string> Capabilities(string status) =>
        status.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
}
