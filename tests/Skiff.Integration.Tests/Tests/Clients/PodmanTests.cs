using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Integration.Tests.Tests.Clients;

/// <summary>
/// Podman (with conmon) driving the runtime under test in place of runc: what a Podman user sees
/// of a container, and what reaches the host's cgroup files.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class PodmanTests(Suite suite)
{
    [Fact]
    public void Podman_run_prints_output_passes_exit_codes_and_loads_its_seccomp_profile()
    {
        using var podman = new PodmanClient(suite);
        var run = podman.Run("--rm", PodmanClient.Image, "sh", "-c", "echo hello from podman; grep '^Seccomp:' /proc/self/status; exit 3");
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal(["hello from podman", "Seccomp:\t2"], Lines(run.Stdout));

        var missing = podman.Run("--rm", PodmanClient.Image, "/no/such/program");
        Assert.True(missing.ExitCode == 127, missing.ToString());
    }

    [Fact]
    public void Podman_limits_exec_pause_and_rm_reach_a_running_container()
    {
        using var podman = new PodmanClient(suite);
        string id = podman.Run("-d", "--memory", "64m", "--pids-limit", "50", PodmanClient.Image, "sleep", "600").AssertSuccess().Stdout.Trim();
        string cgroup = podman.CgroupOf(id);
        Assert.Equal("67108864", CgroupFs.Read(cgroup, "memory.limit_in_bytes"));
        Assert.Equal("50", CgroupFs.Read(cgroup, "pids.max"));

        var exec = podman.Invoke("exec", id, "sh", "-c", "exit 5");
        Assert.True(exec.ExitCode == 5, exec.ToString());
        Assert.Equal("1000 1001", podman.Invoke("exec", "--user", "1000:1001", id, "sh", "-c", "echo $(id -u) $(id -g)").AssertSuccess().Stdout.Trim());

        podman.Invoke("pause", id).AssertSuccess();
        Assert.Equal("FROZEN", CgroupFs.Read(cgroup, "freezer.state"));
        Assert.Equal("paused", podman.Invoke("inspect", "--format", "{{.State.Status}}", id).AssertSuccess().Stdout.Trim());
        podman.Invoke("unpause", id).AssertSuccess();
        Assert.Equal("THAWED", CgroupFs.Read(cgroup, "freezer.state"));

        podman.Invoke("rm", "--force", "--time", "0", id).AssertSuccess();
        Wait.Until(() => CgroupFs.ExistingDirectoriesOf(cgroup).Count == 0, $"the runtime to remove {cgroup}");
    }

    [Fact]
    public void Podman_run_t_gives_the_container_a_terminal()
    {
        using var podman = new PodmanClient(suite);
        var run = podman.Run("--rm", "-t", PodmanClient.Image, "tty").AssertSuccess();
        Assert.Equal("/dev/pts/0", run.Stdout.Trim());
    }

    /// <summary>Podman's --read-only and --tmpfs mount tmpfs with runc's "tmpcopyup" extension.</summary>
    [Fact]
    public void Podman_run_read_only_and_tmpfs_start_with_the_images_files()
    {
        using var podman = new PodmanClient(suite);
        var readOnly = podman.Run("--rm", "--read-only", PodmanClient.Image, "sh", "-c",
            "touch /bin/x 2>/dev/null && echo rootfs-writable; echo t > /tmp/t && cat /tmp/t").AssertSuccess();
        Assert.Equal(["t"], Lines(readOnly.Stdout));

        var tmpfs = podman.Run("--rm", "--tmpfs", "/etc", PodmanClient.Image, "sh", "-c",
            "grep -c ^root: /etc/passwd; stat -f -c %T /etc; echo new > /etc/new && cat /etc/new").AssertSuccess();
        Assert.Equal(["1", "tmpfs", "new"], Lines(tmpfs.Stdout));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
