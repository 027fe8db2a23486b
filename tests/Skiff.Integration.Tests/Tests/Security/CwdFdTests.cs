using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Integration.Tests.Tests.Security;

/// <summary>
/// CVE-2024-21626: a descriptor the runtime leaves open on a host directory (runc leaked one on
/// /sys/fs/cgroup) becomes the process's cwd through process.cwd = /proc/self/fd/N, and the
/// process walks up from it into the host. For every N the runtime might hold, the container must
/// fail at its chdir (nothing open there) or land inside its own rootfs.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class CwdFdTests(Suite suite)
{
    public static TheoryData<int> Descriptors() => new(Enumerable.Range(3, 14));

    private const string Probe = "echo cwd=$(pwd -P); ls -a . .. ../.. ../../.. ../../../.. 2>&1; true";

    [Theory]
    [MemberData(nameof(Descriptors))]
    public void Cve_2024_21626_cwd_through_a_leaked_descriptor_never_lands_on_the_host(int fd)
    {
        using var c = new TestContainer(suite);
        File.WriteAllText(Path.Combine(c.Dir, "host-only-marker"), "host\n");
        c.Process.Cwd = $"/proc/self/fd/{fd}";
        c.Shell(Probe);

        AssertNeverOnTheHost(c, c.Run(), fd);
    }

    /// <summary>The same through `exec --cwd`: the joining process holds the runtime's descriptors too.</summary>
    [Theory]
    [MemberData(nameof(Descriptors))]
    public void Cve_2024_21626_exec_cwd_through_a_leaked_descriptor_never_lands_on_the_host(int fd)
    {
        using var c = new TestContainer(suite);
        File.WriteAllText(Path.Combine(c.Dir, "host-only-marker"), "host\n");
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        var result = c.Cli.Invoke("exec", "--cwd", $"/proc/self/fd/{fd}", c.Id, "sh", "-c", Probe);

        AssertNeverOnTheHost(c, result, fd);
    }

    /// <summary>
    /// Positive control: a host directory really open as fd 3 (handed over on purpose with
    /// --preserve-fds) is reachable through /proc/self/fd/3, and the probe's checks see the host there.
    /// </summary>
    [Fact]
    public void A_descriptor_that_is_open_on_a_host_directory_is_seen_by_the_probe()
    {
        using var c = new TestContainer(suite);
        File.WriteAllText(Path.Combine(c.Dir, "host-only-marker"), "host\n");
        c.Shell("ls -a /proc/self/fd/3/");
        c.WriteConfig();

        var result = c.Cli.Invoke(new CliOptions { Fd3Path = c.Dir }, "run", "--preserve-fds", "1", "--bundle", c.BundleDir, c.Id).AssertSuccess();

        Assert.Contains("host-only-marker", result.Stdout);
    }

    private void AssertNeverOnTheHost(TestContainer c, CliResult result, int fd)
    {
        if (result.ExitCode != 0)
        {
            // Refused, and for the cwd itself (making it or changing into it), not for something unrelated.
            Assert.Contains($"/proc/self/fd/{fd}", result.Stderr);
            Assert.True(new[] { "chdir", "cwd", "mkdir" }.Any(w => result.Stderr.Contains(w, StringComparison.OrdinalIgnoreCase)), result.ToString());
            return;
        }
        Assert.Contains("cwd=", result.Stdout);
        Assert.DoesNotContain("host-only-marker", result.Stdout);
        Assert.DoesNotContain(Path.GetFileName(suite.RunDir), result.Stdout);
        Assert.DoesNotContain(c.Id, result.Stdout);
    }
}
