using System.Diagnostics;
using System.Text.Json;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>Detached containers: they outlive the CLI, and stop, kill, restart, wait, pause and rm act on them.</summary>
[Collection(EngineCollection.Name)]
public sealed class LifecycleTests(EngineSuite suite)
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void A_detached_container_outlives_the_cli_and_its_logs_follow()
    {
        string name = Unique("ticker");
        string id = suite.Ok("run", "-d", "--name", name, "busybox", "sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.3; done; echo done >&2").Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.Contains(name, suite.Ok("ps"));
        // Follows the live container until it exits: every line, in order, then returns.
        SkiffResult follow = suite.Run("logs", "-f", name);
        Assert.Equal("tick 1\ntick 2\ntick 3\n", follow.Out);
        Assert.Equal("done\n", follow.Error);
        Assert.Equal("0\n", suite.Ok("wait", name));
        SkiffResult tail = suite.Run("logs", "--tail", "2", name);
        Assert.Equal(("tick 3\n", "done\n"), (tail.Out, tail.Error));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tick 1\n", suite.Ok("logs", "-t", name));
        Assert.Equal("exited 0\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name));
        Assert.DoesNotContain(name, suite.Ok("ps"));
        Assert.Contains(name, suite.Ok("ps", "-a"));
        Assert.Empty(MountInfo.Under(suite.Root));
        suite.Ok("rm", name);
    }

    [Fact]
    public void Stop_sends_the_stop_signal_and_kills_after_the_timeout()
    {
        string graceful = suite.Ok("run", "-d", "busybox", "sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.1; done").Trim();
        string stubborn = suite.Ok("run", "-d", "--stop-signal", "USR1", "busybox", "sh", "-c", "trap '' USR1 TERM; while true; do sleep 0.1; done").Trim();
        try
        {
            Thread.Sleep(300);
            suite.Ok("stop", graceful);
            Assert.Equal("exited 7\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", graceful));
            suite.Ok("stop", "-t", "1", stubborn);
            Assert.Equal("exited 137\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", stubborn));
            Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(stubborn)));
        }
        finally
        {
            suite.Run("rm", "-f", graceful, stubborn);
        }
    }

    /// <summary>stop -s and restart -s send their signal, not the container's stop signal (TERM, which it ignores here).</summary>
    [Fact]
    public void Stop_and_restart_send_the_signal_given_with_s()
    {
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c", "trap 'echo usr1 >> /signals; exit 7' USR1; trap '' TERM; echo run >> /runs; while true; do sleep 0.1; done").Trim();
        string upper = Path.Combine(suite.Root, "rw", id, "upper");
        try
        {
            WaitForLines(Path.Combine(upper, "runs"), 1);
            suite.Ok("stop", "-s", "USR1", "-t", "5", id);
            Assert.Equal("exited 7\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id));
            suite.Ok("start", id);
            WaitForLines(Path.Combine(upper, "runs"), 2);
            suite.Ok("restart", "-s", "SIGUSR1", "-t", "5", id);
            Assert.Equal("usr1\nusr1\n", File.ReadAllText(Path.Combine(upper, "signals")));
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    /// <summary>restart of a --rm container starts it again (Docker's); a later stop still removes it.</summary>
    [Fact]
    public void Restart_of_an_auto_removed_container_starts_it_again()
    {
        string id = suite.Ok("run", "-d", "--rm", "busybox", "sleep", "1000").Trim();
        try
        {
            string before = suite.Ok("inspect", "-f", "{{.State.Pid}}", id);
            suite.Ok("restart", "-t", "0", id);
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));
            Assert.NotEqual(before, suite.Ok("inspect", "-f", "{{.State.Pid}}", id));
            // The first run's exit command, let go by the restart, finds the container running again.
            DateTime deadline = DateTime.UtcNow.AddSeconds(30);
            bool FirstExitCommandRuns() => suite.MonitorsOfThisRun().Any(pid => CommandLine(pid).Contains("cleanup\0" + id, StringComparison.Ordinal));
            while (FirstExitCommandRuns() && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.False(FirstExitCommandRuns(), "the first run's exit command never finished");
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));
            suite.Ok("stop", "-t", "0", id);
            Assert.Equal("", suite.Ok("ps", "-aq", "--filter", "id=" + id));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
        Assert.Empty(MountInfo.Under(suite.Root));
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static void WaitForLines(string path, int count)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while ((!File.Exists(path) || File.ReadAllLines(path).Length < count) && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.True(File.Exists(path) && File.ReadAllLines(path).Length >= count, $"{path} never had {count} lines");
    }

    [Fact]
    public void Kill_sends_the_named_signal()
    {
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c", "trap 'exit 9' USR2; while true; do sleep 0.1; done").Trim();
        try
        {
            Thread.Sleep(300);
            suite.Ok("kill", "-s", "USR2", id);
            Assert.Equal("9\n", suite.Ok("wait", id));
            SkiffResult again = suite.Run("kill", id);
            Assert.Equal(1, again.Exit);
            Assert.Contains("is not running", again.Error);
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    /// <summary>wait returns the exit of the run it waited for: before --rm removes the container, and before a restart policy starts the next run.</summary>
    [Fact]
    public void Wait_returns_the_first_exit_of_an_auto_removed_or_restarting_container()
    {
        string removed = suite.Ok("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 2; exit 3").Trim();
        string restarting = suite.Ok("run", "-d", "--restart", "always", "busybox", "sh", "-c", "sleep 2; exit 3").Trim();
        using Process wait = suite.Start("wait", restarting);
        try
        {
            Assert.Equal("3\n", suite.Ok("wait", removed));
            Assert.Equal("", suite.Ok("ps", "-aq", "--filter", "id=" + removed));
            Assert.True(wait.WaitForExit(30_000), "wait never returned for a container under a restart policy");
            Assert.Equal(0, wait.ExitCode);
            Assert.Equal("3\n", wait.StandardOutput.ReadToEnd());
        }
        finally
        {
            if (!wait.HasExited) wait.Kill();
            suite.Run("rm", "-f", removed, restarting);
        }
        Assert.Empty(MountInfo.Under(suite.Root));
    }

    [Fact]
    public void Rm_refuses_a_running_container_and_rm_f_removes_everything()
    {
        string id = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        SkiffResult refused = suite.Run("rm", id);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("container is running: stop the container before removing or force remove", refused.Error);
        int pid = int.Parse(suite.Ok("inspect", "-f", "{{.State.Pid}}", id).Trim());
        Assert.True(HostProcesses.IsAlive(pid));
        suite.Ok("rm", "-f", id);
        Assert.False(HostProcesses.IsAlive(pid));
        Assert.Equal("", suite.Ok("ps", "-aq"));
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.Empty(suite.LingeringProcesses());
        Assert.Equal(1, suite.Run("rm", id).Exit);
        Assert.Equal(0, suite.Run("rm", "-f", id).Exit);
    }

    /// <summary>Docker's rm -f of a container that does not exist: the error on stderr, nothing on stdout, exit 0 (plain rm: exit 1).</summary>
    [Fact]
    public void Rm_f_of_a_missing_container_reports_it_and_succeeds()
    {
        string missing = Unique("missing");
        string error = $"Error response from daemon: No such container: {missing}\n";
        SkiffResult alone = suite.Run("rm", "-f", missing);
        Assert.Equal((0, "", error), (alone.Exit, alone.Out, alone.Error));
        string id = suite.Ok("create", "busybox", "true").Trim();
        SkiffResult several = suite.Run("rm", "-f", missing, id);
        Assert.Equal((0, id + "\n", error), (several.Exit, several.Out, several.Error));
        SkiffResult plain = suite.Run("rm", missing);
        Assert.Equal((1, "", error), (plain.Exit, plain.Out, plain.Error));
    }

    [Fact]
    public void Rm_of_several_removes_them_side_by_side_and_reports_them_in_the_order_given()
    {
        string[] created = [.. Enumerable.Range(0, 4).Select(i => Unique("several"))];
        foreach (string name in created) suite.Ok("create", "--name", name, "busybox", "true");
        string[] running = [.. Enumerable.Range(0, 3).Select(_ => suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim())];
        int[] pids = [.. running.Select(id => int.Parse(suite.Ok("inspect", "-f", "{{.State.Pid}}", id).Trim()))];
        string missing = Unique("missing");

        SkiffResult plain = suite.Run(["rm", created[0], created[1], missing, created[2], created[3]]);
        Assert.Equal(1, plain.Exit);
        Assert.Equal(string.Join("", created.Select(n => n + "\n")), plain.Out);
        Assert.Contains($"No such container: {missing}", plain.Error);

        suite.Ok(["rm", "-f", .. running]);
        Assert.All(pids, pid => Assert.False(HostProcesses.IsAlive(pid)));
        Assert.Equal("", suite.Ok("ps", "-aq"));
        Assert.All(running, id => Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id))));
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.Empty(suite.LingeringProcesses());
    }

    [Fact]
    public void A_stopped_container_starts_again_with_its_writable_layer()
    {
        string id = suite.Ok("create", "busybox", "sh", "-c", "echo x >> /count; wc -l < /count").Trim();
        Assert.Equal("created\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));
        Assert.Equal("1\n", suite.Ok("start", "-a", id));
        Assert.Equal("2\n", suite.Ok("start", "-a", id));
        suite.Ok("rm", id);
    }

    [Fact]
    public void Pause_freezes_and_unpause_thaws()
    {
        string id = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        try
        {
            suite.Ok("pause", id);
            Assert.Equal("paused\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));
            Assert.Equal("FROZEN", CgroupFs.Read(suite.CgroupPath(id), "freezer.state"));
            Assert.Contains("(Paused)", suite.Ok("ps"));
            suite.Ok("unpause", id);
            Assert.Equal("THAWED", CgroupFs.Read(suite.CgroupPath(id), "freezer.state"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void On_failure_restarts_up_to_its_limit_and_always_is_stopped_by_stop()
    {
        string failing = suite.Ok("run", "-d", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3").Trim();
        string always = suite.Ok("run", "-d", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 0").Trim();
        try
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            // Three runs (the first and two restarts), then it stays exited.
            while (suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", failing) != "2 exited\n" && DateTime.UtcNow < deadline) Thread.Sleep(100);
            Thread.Sleep(2000);
            Assert.Equal("2 exited 3\n", suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", failing));
            Assert.Equal(3, suite.Ok("logs", failing).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            while (int.Parse(suite.Ok("inspect", "-f", "{{.RestartCount}}", always).Trim()) < 2 && DateTime.UtcNow < deadline) Thread.Sleep(100);
            suite.Ok("stop", always);
            string stopped = suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", always);
            Thread.Sleep(1500);
            Assert.Equal(stopped, suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", always));
            Assert.EndsWith(" exited\n", stopped);
        }
        finally
        {
            suite.Run("rm", "-f", failing, always);
        }
    }

    /// <summary>
    /// A container between runs of its restart policy (the backoff doubles: 3.2 s after five quick
    /// restarts) shows as restarting; stop ends it there, with no run more, and the user's start
    /// begins the count again.
    /// </summary>
    [Fact]
    public void Stop_ends_a_restart_backoff_at_once_and_start_resets_the_count()
    {
        string id = suite.Ok("run", "-d", "--restart", "always", "busybox", "sh", "-c", "exit 1").Trim();
        try
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            string state = "";
            while (DateTime.UtcNow < deadline)
            {
                state = suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", id);
                if (int.Parse(state.Split(' ')[0]) >= 5 && state.EndsWith(" restarting\n", StringComparison.Ordinal)) break;
                Thread.Sleep(50);
            }
            Assert.EndsWith(" restarting\n", state);
            Assert.StartsWith("Restarting (1)", suite.Ok("ps", "--filter", "id=" + id, "--format", "{{.Status}}"));
            int count = int.Parse(state.Split(' ')[0]);
            suite.Ok("stop", id);
            Assert.Equal($"{count} exited 1\n", suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", id));
            // The backoff's sleeper wakes to find it stopped, and starts nothing.
            Assert.Empty(suite.LingeringProcesses());
            Assert.Equal($"{count} exited\n", suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", id));

            suite.Ok("update", "--restart", "no", id);
            suite.Ok("start", id);
            Assert.Equal("1\n", suite.Ok("wait", id));
            Assert.Equal("0\n", suite.Ok("inspect", "-f", "{{.RestartCount}}", id));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    /// <summary>
    /// Each run of a restarting container is torn down once: the runtime under a wrapper that logs
    /// its invocations shows one delete per create (a delete is a runtime process, on every restart).
    /// </summary>
    [Fact]
    public void A_restart_tears_the_last_run_down_once()
    {
        string token = Guid.NewGuid().ToString("N")[..8];
        string log = Path.Combine(suite.RunDir, $"runtime-{token}.log");
        string wrapper = Path.Combine(suite.RunDir, $"logging-runtime-{token}");
        EngineSuite.WriteRuntimeWrapper(wrapper, $"echo \"$*\" >> {log}\n");
        string id = suite.Ok("run", "-d", "--runtime", wrapper, "--restart", "on-failure:3", "busybox", "sh", "-c", "exit 3").Trim();
        try
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", id) != "3 exited\n" && DateTime.UtcNow < deadline) Thread.Sleep(100);
            // The exit command of the last run may still be settling it.
            Assert.Empty(suite.LingeringProcesses());
            Assert.Equal("3 exited 3\n", suite.Ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", id));
            Assert.Empty(MountInfo.Under(suite.Root));
            Assert.False(File.Exists(Path.Combine(suite.Root, "netns", id)), "netns left behind");

            string[] verbs = [.. File.ReadAllLines(log).Where(l => l.EndsWith(" " + id, StringComparison.Ordinal)).Select(l => l.Split(' ')[2])];
            Assert.Equal(4, verbs.Count(v => v == "create"));
            Assert.Equal(4, verbs.Count(v => v == "delete"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void A_killed_monitor_shows_the_container_exited_and_rm_cleans_it()
    {
        string id = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        try
        {
            int conmon = int.Parse(File.ReadAllText(Path.Combine(suite.Root, "containers", id, "conmon.pid")).Trim());
            int pid = int.Parse(suite.Ok("inspect", "-f", "{{.State.Pid}}", id).Trim());
            Process.GetProcessById(conmon).Kill();
            Process.GetProcessById(pid).Kill();
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while ((HostProcesses.IsAlive(conmon) || HostProcesses.IsAlive(pid)) && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.Contains("Exited (137)", suite.Ok("ps", "-a", "--filter", "id=" + id));
            suite.Ok("rm", id);
            Assert.Empty(MountInfo.Under(suite.Root));
            Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void Run_rm_cleans_up_even_when_the_cli_is_killed()
    {
        string name = Unique("orphan");
        using Process cli = suite.Start("run", "--rm", "--name", name, "busybox", "sh", "-c", "sleep 1; echo bye");
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!suite.Ok("ps", "--format", "{{.Names}}").Contains(name) && DateTime.UtcNow < deadline) Thread.Sleep(20);
        cli.Kill();
        cli.WaitForExit();
        while (suite.Ok("ps", "-a", "--format", "{{.Names}}").Contains(name) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.DoesNotContain(name, suite.Ok("ps", "-a", "--format", "{{.Names}}"));
        Assert.Empty(MountInfo.Under(suite.Root));
    }

    [Fact]
    public void Twenty_containers_created_in_parallel_get_unique_names_and_leave_nothing()
    {
        string[] ids = new string[20];
        Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = 10 }, i => ids[i] = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim());
        try
        {
            Assert.Equal(ids.Length, ids.Distinct().Count());
            string[] names = suite.Ok("ps", "--format", "{{.Names}}").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(ids.Length, names.Distinct().Count());
            Assert.All(names, n => Assert.Matches("^[a-z]+_[a-z]+[0-9]?$", n));
        }
        finally
        {
            Parallel.ForEach(ids, new ParallelOptions { MaxDegreeOfParallelism = 10 }, id => suite.Run("rm", "-f", id));
        }
        Assert.Equal("", suite.Ok("ps", "-aq"));
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.Empty(suite.LingeringProcesses());
        foreach (string id in ids) Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
    }

    [Fact]
    public void Conmon_lives_in_the_parents_conmon_cgroup_which_goes_with_the_last_container()
    {
        string first = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        string second = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        string monitors = suite.CgroupParent + "/conmon";
        try
        {
            foreach (string id in (string[])[first, second])
            {
                int conmon = int.Parse(File.ReadAllText(Path.Combine(suite.Root, "containers", id, "conmon.pid")).Trim());
                string[] cgroups = File.ReadAllLines($"/proc/{conmon}/cgroup");
                // Every hierarchy: the v1 controllers, systemd's named one and the unified one.
                Assert.All(cgroups, line => Assert.EndsWith(":" + monitors, line));
                Assert.Contains(conmon, CgroupFs.ProcessesIn(monitors));
                // The container itself stays in its own cgroup.
                int pid = int.Parse(suite.Ok("inspect", "-f", "{{.State.Pid}}", id).Trim());
                Assert.Contains(File.ReadAllLines($"/proc/{pid}/cgroup"), line => line.EndsWith(":" + suite.CgroupPath(id), StringComparison.Ordinal));
            }
            suite.Ok("rm", "-f", first);
            Assert.NotEmpty(CgroupFs.ExistingDirectoriesOf(monitors));
            suite.Ok("rm", "-f", second);
            Assert.Empty(suite.LingeringProcesses());
            Assert.Empty(CgroupFs.ExistingDirectoriesOf(monitors));
        }
        finally
        {
            suite.Run("rm", "-f", first, second);
        }
    }
}
