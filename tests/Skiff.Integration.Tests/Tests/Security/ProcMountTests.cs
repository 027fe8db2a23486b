using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;
using static Skiff.Integration.Tests.Tests.ProcessTests;

namespace Skiff.Integration.Tests.Tests.Security;

/// <summary>
/// Attacks on /proc itself: an image whose /proc is a symlink (CVE-2019-19921, CVE-2023-27561,
/// CVE-2023-28642: runc mounted procfs where the link pointed and then wrote LSM labels to a
/// file the container controlled), a volume mounted over /proc or /proc/sys, and writes meant for
/// procfs (sysctls, AppArmor's attr file) redirected to a decoy (CVE-2019-16884, CVE-2025-52881).
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ProcMountTests(Suite suite)
{
    /// <summary>What a container with a real, masked, read-only-where-configured /proc reports.</summary>
    private const string ProcProbe =
        "stat -f -c %T /proc/; grep -c . /proc/self/status; wc -c < /proc/timer_list; " +
        "{ echo x > /proc/sys/kernel/domainname; } 2>&1 | grep -o 'Read-only file system'; true";

    [Theory]
    [InlineData("absolute path to a host directory")]
    [InlineData("relative path out of the rootfs")]
    public void Cve_2023_27561_proc_symlinked_out_of_the_rootfs_mounts_nothing_on_the_host(string how)
    {
        using var c = new TestContainer(suite);
        var canary = Attack.MakeCanaryDir(c);
        var before = Attack.Snapshot(canary);
        Attack.Symlink(c, "proc", how.StartsWith("absolute") ? canary : "../../host-canary");
        c.Shell(ProcProbe);

        var result = c.Run();

        Assert.Equal(before, Attack.Snapshot(canary));
        AssertRefusedAsNotAnOrdinaryDirectory(c, result);
    }

    [Fact]
    public void Cve_2019_19921_proc_symlinked_inside_the_rootfs_is_refused()
    {
        using var c = new TestContainer(suite);
        Directory.CreateDirectory(Path.Combine(c.Rootfs, "evil"));
        Attack.Symlink(c, "proc", "/evil");
        c.Shell(ProcProbe);

        AssertRefusedAsNotAnOrdinaryDirectory(c, c.Run());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(c.Rootfs, "evil")));
    }

    [Fact]
    public void Sysfs_on_a_symlink_is_refused_too()
    {
        using var c = new TestContainer(suite);
        Directory.CreateDirectory(Path.Combine(c.Rootfs, "evil"));
        Attack.Symlink(c, "sys", "/evil");
        Assert.NotNull(new FileInfo(Path.Combine(c.Rootfs, "sys")).LinkTarget);

        var result = c.Run();

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("sysfs", result.Stderr);
        Assert.Contains("must be mounted on ordinary directory", result.Stderr);
        c.AssertNothingLeftBehind();
    }

    /// <summary>Positive control for the probe the refusals above are measured against.</summary>
    [Fact]
    public void An_ordinary_proc_directory_gets_a_real_masked_proc()
    {
        using var c = new TestContainer(suite);
        c.Shell(ProcProbe);
        var lines = Lines(c.Output());
        Assert.Equal("proc", lines[0]);
        Assert.True(int.Parse(lines[1]) > 10, string.Join('\n', lines));
        Assert.Equal("0", lines[2].Trim()); // masked
        Assert.Equal("Read-only file system", lines[3]); // /proc/sys read-only
    }

    [Fact]
    public void Cve_2023_28642_proc_symlinked_to_a_directory_holding_a_fake_attr_tree_is_not_written_through()
    {
        using var c = new TestContainer(suite);
        // The decoy the old attack wanted the runtime's label writes to land in.
        var fake = Path.Combine(c.Rootfs, "fakeproc", "self", "attr");
        Directory.CreateDirectory(fake);
        File.WriteAllText(Path.Combine(fake, "exec"), "decoy\n");
        Attack.Symlink(c, "proc", "/fakeproc");
        c.Shell(ProcProbe);

        var result = c.Run();

        AssertRefusedAsNotAnOrdinaryDirectory(c, result);
        Assert.Equal("decoy\n", File.ReadAllText(Path.Combine(fake, "exec")));
    }

    [Fact]
    public void Cve_2019_19921_volume_over_proc_is_harmless_to_the_host()
    {
        using var c = new TestContainer(suite);
        var decoy = FakeProcTree(c, "fake-proc");
        var before = Attack.Snapshot(decoy);
        c.Spec.Mounts!.Add(new Mount { Destination = "/proc", Type = "bind", Source = decoy, Options = ["rbind", "rw"] });
        c.Linux.Sysctl = new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "1" };
        c.Shell("cat /proc/sys/net/ipv4/ip_forward; cat /proc/self/attr/exec");

        var result = c.Run();

        // Refused before anything is written (runc's rule: only a procfs over /proc).
        Assert.Contains("cannot be mounted because it is not of type proc", result.Stderr);
        Assert.True(before == Attack.Snapshot(decoy), $"the runtime wrote into the volume over /proc:\n{Attack.Snapshot(decoy)}\n{result}");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Cve_2019_16884_apparmor_profile_with_a_tmpfs_over_proc_is_refused()
    {
        using var c = new TestContainer(suite);
        var decoy = FakeProcTree(c, "fake-proc");
        var before = Attack.Snapshot(decoy);
        c.Spec.Mounts!.Add(new Mount { Destination = "/proc", Type = "bind", Source = decoy, Options = ["rbind", "rw"] });
        c.Process.ApparmorProfile = "skiff-test-profile";

        var result = c.Run();

        // Refused before any label is written: only a procfs may cover /proc (runc's rule).
        Assert.True(result.ExitCode != 0, $"a volume over /proc was accepted\n{result}");
        Assert.Contains("cannot be mounted because it is not of type proc", result.Stderr);
        Assert.True(before == Attack.Snapshot(decoy), $"the profile was written into the decoy:\n{Attack.Snapshot(decoy)}\n{result}");
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyTheory("runc 1.1.5 writes sysctls after preparing the rootfs, which fails in a mount namespace joined after its owner's pivot_root: its write is never attempted")]
    [InlineData("net.ipv4.ip_forward", "sys/net/ipv4/ip_forward")]
    [InlineData("kernel.shmmax", "sys/kernel/shmmax")]
    public void Cve_2025_52881_sysctl_in_a_joined_mount_namespace_is_not_written_to_a_decoy(string sysctl, string file)
    {
        // The container owning the mount namespace puts a volume over /proc/sys from inside (no
        // runtime refuses that): a process joining the namespace and writing "/proc/sys/..." by
        // path would write into the volume.
        using var owner = new TestContainer(suite);
        var decoy = FakeProcTree(owner, "fake-sys");
        var before = Attack.Snapshot(decoy);
        owner.Share();
        owner.Spec.Mounts!.Add(new Mount { Destination = "/decoy", Type = "bind", Source = decoy, Options = ["rbind", "rw"] });
        owner.Linux.ReadonlyPaths!.Remove("/proc/sys");
        owner.Process.Capabilities!.Bounding = [.. owner.Process.Capabilities.Bounding!, "CAP_SYS_ADMIN"];
        owner.Process.Capabilities.Effective = [.. owner.Process.Capabilities.Effective!, "CAP_SYS_ADMIN"];
        owner.Process.Capabilities.Permitted = [.. owner.Process.Capabilities.Permitted!, "CAP_SYS_ADMIN"];
        owner.Shell($"mount --bind /decoy/sys /proc/sys && touch {TestContainer.ShareMountPoint}/staged; sleep 600");
        owner.Create().AssertSuccess();
        owner.Start().AssertSuccess();
        Wait.ForFile(owner.SharedFile("staged"));

        using var joiner = new TestContainer(suite);
        Attack.JoinNamespace(joiner, "mount", owner.PidFromFile(), "mnt");
        joiner.Linux.Sysctl = new Dictionary<string, string> { [sysctl] = "1" };
        joiner.Shell("true");
        var result = joiner.Run();

        // Positive controls: in the joined namespace /proc/sys is the volume, so a write by path
        // lands in it; and the joiner got past its sysctl step (the owner's namespace has no
        // joiner rootfs, so it fails at the later rootfs bind).
        Assert.Equal("decoy\n", File.ReadAllText($"/proc/{owner.PidFromFile()}/root/proc/{file}"));
        Assert.Contains("onto itself: no such file or directory", result.Stderr);
        Assert.True(before == Attack.Snapshot(decoy),
            $"the sysctl {sysctl} was written into the decoy {file} of the joined mount namespace:\n{Attack.Snapshot(decoy)}\n{result}");
    }

    /// <summary>A host directory shaped like procfs, each file holding "decoy".</summary>
    private static string FakeProcTree(TestContainer c, string name)
    {
        var root = Path.Combine(c.Dir, name);
        foreach (var f in new[] { "self/attr/exec", "self/attr/current", "self/attr/apparmor/exec", "thread-self/attr/exec",
                     "sys/net/ipv4/ip_forward", "sys/kernel/shmmax", "sys/kernel/domainname", "timer_list", "self/status" })
        {
            var path = Path.Combine(root, f);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "decoy\n");
        }
        return root;
    }

    [Theory]
    [InlineData("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/core_pattern")]
    [InlineData("/proc/self", "/proc/self")]
    [InlineData("/core-link", "/proc/sys/kernel/core_pattern")] // a symlink in the image leading into /proc
    public void Binds_into_proc_are_refused_but_for_what_lxcfs_emulates(string destination, string resolvesTo)
    {
        using var c = new TestContainer(suite);
        var decoy = Path.Combine(c.Dir, "decoy");
        File.WriteAllText(decoy, "decoy\n");
        if (destination != resolvesTo) File.CreateSymbolicLink(Path.Combine(c.Rootfs, destination.TrimStart('/')), resolvesTo);
        c.Spec.Mounts!.Add(new Mount { Destination = destination, Type = "bind", Source = decoy, Options = ["bind"] });

        var result = c.Run();

        Assert.True(result.ExitCode == 1, $"a bind into /proc was accepted\n{result}");
        if (RuntimeUnderTest.IsSkiff) Assert.Contains($"to {destination}: ", result.Stderr); // runc names the host path
        Assert.Contains("cannot be mounted because it is inside /proc", result.Stderr);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void A_bind_over_proc_itself_must_be_a_procfs()
    {
        using var c = new TestContainer(suite);
        c.Spec.Mounts!.Add(new Mount { Destination = "/proc", Type = "bind", Source = c.Dir, Options = ["rbind"] });

        var result = c.Run();

        Assert.True(result.ExitCode == 1, $"a directory bound over /proc was accepted\n{result}");
        if (RuntimeUnderTest.IsSkiff) Assert.Contains("to /proc: ", result.Stderr); // runc names the host path
        Assert.Contains("cannot be mounted because it is not of type proc", result.Stderr);
        c.AssertNothingLeftBehind();
    }

    /// <summary>Positive control for the refusals above: the files lxcfs serves may be bound over /proc's.</summary>
    [Fact]
    public void A_bind_over_proc_uptime_shows_the_given_file()
    {
        using var c = new TestContainer(suite);
        var uptime = Path.Combine(c.Dir, "uptime");
        File.WriteAllText(uptime, "12345.67 89.00\n");
        c.Spec.Mounts!.Add(new Mount { Destination = "/proc/uptime", Type = "bind", Source = uptime, Options = ["bind", "ro"] });
        c.Shell("cat /proc/uptime");

        Assert.Equal("12345.67 89.00\n", c.Output());
    }

    /// <summary>runc's rule (CVE-2019-19921): procfs goes only onto an ordinary directory, so the image's symlink stops the container.</summary>
    private static void AssertRefusedAsNotAnOrdinaryDirectory(TestContainer c, CliResult result)
    {
        Assert.True(new FileInfo(Path.Combine(c.Rootfs, "proc")).LinkTarget is not null, "the attack's symlink is not in place");
        Assert.True(result.ExitCode == 1, $"a /proc that is a symlink was accepted\n{result}");
        Assert.Contains("proc", result.Stderr);
        Assert.Contains("must be mounted on ordinary directory", result.Stderr);
        c.AssertNothingLeftBehind();
    }
}
