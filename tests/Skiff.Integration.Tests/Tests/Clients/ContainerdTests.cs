using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Integration.Tests.Tests.Clients;

/// <summary>
/// containerd's runc v2 shim driving the runtime under test (ctr run --runc-binary), as in a
/// Kubernetes node: run, exec, pause, kill and delete, judged by exit codes and cgroup files.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ContainerdTests(Suite suite)
{
    // Commands are given by path: ctr run --rootfs sets no PATH, and runc 1.1.5 then finds nothing.
    [Fact]
    public void Ctr_run_passes_output_and_exit_code_and_places_the_container_in_its_cgroup()
    {
        using var containerd = new ContainerdClient(suite);
        var run = containerd.Run(suite, "c1", ["--rm"], "/bin/sh", "-c", "echo hello from containerd; grep ':memory:' /proc/self/cgroup; exit 4");
        Assert.True(run.ExitCode == 4, $"{run}\n{containerd.DaemonLog}");
        string[] lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("hello from containerd", lines[0]);
        Assert.EndsWith($":memory:{containerd.CgroupOf("c1")}", lines[1]);
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(containerd.CgroupOf("c1")));
    }

    [Fact]
    public void Ctr_limits_task_exec_pause_kill_and_delete_reach_a_detached_container()
    {
        using var containerd = new ContainerdClient(suite);
        containerd.Run(suite, "c2", ["--detach", "--null-io", "--memory-limit", "67108864"], "/bin/sleep", "600").AssertSuccess();
        string cgroup = containerd.CgroupOf("c2");
        Assert.Equal("67108864", CgroupFs.Read(cgroup, "memory.limit_in_bytes"));

        var exec = containerd.Exec("--exec-id", "e1", "c2", "/bin/sh", "-c", "echo from exec; exit 6");
        Assert.True(exec.ExitCode == 6, exec.ToString());
        Assert.Equal("from exec", exec.Stdout.Trim());

        containerd.Invoke("task", "pause", "c2").AssertSuccess();
        Assert.Equal("FROZEN", CgroupFs.Read(cgroup, "freezer.state"));
        containerd.Invoke("task", "resume", "c2").AssertSuccess();
        Assert.Equal("THAWED", CgroupFs.Read(cgroup, "freezer.state"));

        containerd.Invoke("task", "kill", "--signal", "SIGKILL", "c2").AssertSuccess();
        Wait.Until(() => containerd.Invoke("task", "ls").Stdout.Contains("STOPPED"), "the task to stop");
        containerd.Invoke("task", "delete", "c2").AssertSuccess();
        containerd.Invoke("container", "delete", "c2").AssertSuccess();
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(cgroup));
    }
}
