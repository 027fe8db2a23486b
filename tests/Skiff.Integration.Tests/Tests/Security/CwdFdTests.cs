using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Integration.Tests.Tests.Security;

/// <summary>
/// CVE-2024-21626: a descriptor the runtime leaves open on a host directory (runc leaked one on
/// /sys/fs/cgroup) becomes the process's cwd through process.cwd = /proc/self/fd/N, and the
/// process walks up from it into the host. For every N the runtime might hold, the container must
/// fail to start or land inside its own rootfs.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class CwdFdTests(Suite suite)
{
    public static TheoryData<int> Descriptors() => new(Enumerable.Range(3, 14));

    [Theory]
    [MemberData(nameof(Descriptors))]
    public void Cve_2024_21626_cwd_through_a_leaked_descriptor_never_lands_on_the_host(int fd)
    {
        using var c = new TestContainer(suite);
        File.WriteAllText(Path.Combine(c.Dir, "host-only-marker"), "host\n");
        c.Process.Cwd = $"/proc/self/fd/{fd}";
        c.Shell("echo cwd=$(pwd -P); ls -a . .. ../.. ../../.. ../../../.. 2>&1; true");

        var result = c.Run();

        if (result.ExitCode != 0)
            return; // refused: nothing ran
        Assert.DoesNotContain("host-only-marker", result.Stdout);
        Assert.DoesNotContain(Path.GetFileName(suite.RunDir), result.Stdout);
        Assert.DoesNotContain(c.Id, result.Stdout);
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

        var result = c.Cli.Invoke("exec", "--cwd", $"/proc/self/fd/{fd}", c.Id,
            "sh", "-c", "echo cwd=$(pwd -P); ls -a . .. ../.. ../../.. ../../../.. 2>&1; true");

        if (result.ExitCode != 0)
            return;
        Assert.DoesNotContain("host-only-marker", result.Stdout);
        Assert.DoesNotContain(Path.GetFileName(suite.RunDir), result.Stdout);
        Assert.DoesNotContain(c.Id, result.Stdout);
    }
}
