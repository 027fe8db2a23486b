using System.Diagnostics;
using Skiff.Engine.Store;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>
/// kill -9 of `skiff run` at each step, seen from outside: the CLI is frozen (SIGSTOP) the moment
/// the step's trace appears, then killed; `ps -a` must still work and show a consistent state,
/// and `rm -f` must leave no record, mount, writable layer, bundle, cgroup or process. A start that
/// fails part way must leave as little.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class CrashTests(EngineSuite suite)
{
    private const int SIGSTOP = 19;

    public enum Step
    {
        /// <summary>At once: before the record can exist.</summary>
        BeforeCreate,
        /// <summary>The bundle directory exists: the record is in, the rootfs may be half made.</summary>
        Created,
        /// <summary>conmon has written its pid: the runtime's create is under way or done.</summary>
        Monitored,
        /// <summary>The container's process has run its first command.</summary>
        Started,
    }

    [Theory]
    [InlineData(Step.BeforeCreate, false)]
    [InlineData(Step.Created, false)]
    [InlineData(Step.Monitored, false)]
    [InlineData(Step.Started, false)]
    [InlineData(Step.Created, true)]
    [InlineData(Step.Monitored, true)]
    [InlineData(Step.Started, true)]
    public void A_run_killed_at_any_step_leaves_a_state_that_ps_shows_and_rm_f_cleans(Step step, bool autoRemove)
    {
        string name = "crash-" + Guid.NewGuid().ToString("N")[..8];
        string containers = Path.Combine(suite.Root, "containers");
        suite.Ok("ps", "-a");   // the engine's directories exist before the first run is watched
        HashSet<string> before = [.. Directory.EnumerateDirectories(containers)];
        List<string> args = ["run", "--name", name];
        if (autoRemove) args.Add("--rm");
        args.AddRange(["busybox", "sh", "-c", "touch /started; sleep 1000"]);
        using Process cli = suite.Start([.. args]);
        string? bundle = null;
        DateTime guard = DateTime.UtcNow.AddMinutes(2);
        while (!Reached(step, ref bundle, before, containers) && !cli.HasExited)
        {
            if (DateTime.UtcNow > guard)
            {
                cli.Kill();
                Assert.Fail($"step {step} never came: {cli.StandardError.ReadToEnd()}");
            }
            Thread.Sleep(1);
        }
        if (cli.HasExited) Assert.Fail($"skiff run ended before step {step}: {cli.StandardError.ReadToEnd()}");
        Native.Kill(cli.Id, SIGSTOP);
        cli.Kill();
        cli.WaitForExit();
        // Killed before create, the run may still have got as far as a bundle: check what it left.
        bundle ??= Directory.EnumerateDirectories(containers).FirstOrDefault(d => !before.Contains(d));

        SkiffResult ps = suite.Run("ps", "-a", "--filter", "name=" + name, "--format", "{{.Names}} {{.Status}}");
        Assert.Equal(0, ps.Exit);
        if (step == Step.Started) Assert.StartsWith(name + " Up", ps.Out);
        SkiffResult rm = suite.Run("rm", "-f", name);
        Assert.True(rm.Exit == 0, rm.ToString());
        Assert.Equal("", suite.Ok("ps", "-a", "--filter", "name=" + name, "--format", "{{.Names}}"));
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.Equal(before, [.. Directory.EnumerateDirectories(containers)]);
        string rw = Path.Combine(suite.Root, "rw");
        if (bundle is not null)
        {
            string id = Path.GetFileName(bundle);
            Assert.False(Directory.Exists(Path.Combine(rw, id)), "writable layer left behind");
            Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
            // conmon and its exit command end on their own once rm is done; nothing else may stay.
            Assert.Empty(suite.LingeringProcesses());
        }
    }

    /// <summary>
    /// A start that fails on a write into its bundle, after its rootfs is mounted and its network
    /// set up: config.json made immutable (chattr +i, as an administrator's or a backup tool's
    /// freeze leaves a file; not even root may replace it). The start says what and why, and
    /// leaves no mount, netns or lease; ps and inspect show the error; the container starts again
    /// once the file may be replaced.
    /// </summary>
    [Fact]
    public void A_start_that_fails_writing_its_bundle_tears_down_and_records_the_error()
    {
        string name = "frozen-" + Guid.NewGuid().ToString("N")[..8];
        string id = suite.Ok("run", "-d", "--name", name, "busybox", "true").Trim();
        string config = Path.Combine(suite.Root, "containers", id, "config.json");
        try
        {
            Assert.Equal("0\n", suite.Ok("wait", id));
            Chattr("+i", config);
            SkiffResult start = suite.Run("start", name);
            Assert.Equal(1, start.Exit);
            Assert.Equal($"Error response from daemon: cannot start container {name}: writing {config}: operation not permitted\n", start.Error);

            Assert.Empty(MountInfo.Under(suite.Root));
            string netns = Path.Combine(suite.Root, "netns");
            Assert.False(Directory.Exists(netns) && Directory.EnumerateFileSystemEntries(netns).Any(), "netns left behind");
            using (EngineDatabase database = new(Path.Combine(suite.Root, "engine.db"))) Assert.Equal(0, database.CountLeases());
            Assert.False(File.Exists(config + ".tmp"), "half-written config left behind");
            Assert.Equal("exited 128\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id));
            Assert.Equal($"cannot start container {name}: writing {config}: operation not permitted\n", suite.Ok("inspect", "-f", "{{.State.Error}}", id));
            Assert.Contains("Exited (128)", suite.Ok("ps", "-a", "--filter", "name=" + name));

            Chattr("-i", config);
            suite.Ok("start", name);
            Assert.Equal("0\n", suite.Ok("wait", id));
            Assert.Equal("\n", suite.Ok("inspect", "-f", "{{.State.Error}}", id));
        }
        finally
        {
            if (File.Exists(config)) Chattr("-i", config);
            suite.Run("rm", "-f", id);
        }
        Assert.Empty(MountInfo.Under(suite.Root));
    }

    [Fact]
    public void An_exit_whose_teardown_fails_keeps_its_exit_code_and_says_why()
    {
        // A runtime that refuses delete: the exit command's teardown fails after the process exited.
        string runtime = Path.Combine(suite.RunDir, "runtime-refusing-delete-" + Guid.NewGuid().ToString("N")[..8]);
        string refusal = $"for a; do [ \"$a\" = delete ] && {{ echo 'delete refused by the test' >&2; exit 1; }}; done\n";
        EngineSuite.WriteRuntimeWrapper(runtime, refusal);
        string id = suite.Ok("run", "-d", "--runtime", runtime, "--restart", "on-failure", "busybox", "sh", "-c", "exit 3").Trim();
        try
        {
            string error = "";
            for (int i = 0; i < 200 && error.Length == 0; i++, Thread.Sleep(50))
                error = suite.Ok("inspect", "-f", "{{.State.Error}}", id).Trim();
            Assert.Contains("tearing down after the exit:", error);
            Assert.Contains("delete refused by the test", error);
            // Not restarted on top of what is left, and the exit is the process's own.
            Assert.Equal("exited 3 0\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", id));
            Assert.Single(suite.Ok("events", "--since", "0", "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), "--filter", "container=" + id, "--filter", "event=die")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            EngineSuite.WriteRuntimeWrapper(runtime, "");
            suite.Run("rm", "-f", id);
        }
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
    }

    /// <summary>
    /// kill -9 of `skiff start` of an exited container while the runtime's start is under way (a
    /// runtime that holds in start until the test lets it go): the start goes on without skiff and
    /// the container runs. ps and inspect must say so, and rm -f must end it and leave nothing.
    /// </summary>
    [Fact]
    public void A_start_killed_while_the_runtime_starts_shows_the_container_running_and_rm_f_cleans_it()
    {
        string token = Guid.NewGuid().ToString("N")[..8];
        string hold = Path.Combine(suite.RunDir, $"hold-start-{token}");
        string holding = Path.Combine(suite.RunDir, $"holding-start-{token}");
        string runtime = Path.Combine(suite.RunDir, $"runtime-holding-start-{token}");
        EngineSuite.WriteRuntimeWrapper(runtime, $"for a; do [ \"$a\" = start ] && [ -e {hold} ] && {{ touch {holding}; while [ -e {hold} ]; do sleep 0.02; done; }}; done\n");
        string name = "restart-killed-" + token;
        // The first run exits; the second (the start under test) stays up.
        string id = suite.Ok("run", "-d", "--name", name, "--runtime", runtime, "busybox", "sh", "-c", "[ -e /ran ] && exec sleep 1000; touch /ran").Trim();
        try
        {
            Assert.Equal("0\n", suite.Ok("wait", id));
            File.WriteAllText(hold, "");
            using Process cli = suite.Start("start", name);
            DateTime guard = DateTime.UtcNow.AddMinutes(1);
            while (!File.Exists(holding) && !cli.HasExited && DateTime.UtcNow < guard) Thread.Sleep(5);
            Assert.True(File.Exists(holding), $"the runtime's start never came: {(cli.HasExited ? cli.StandardError.ReadToEnd() : "still waiting")}");
            cli.Kill();
            cli.WaitForExit();
            File.Delete(hold);
            // The runtime's start goes on without skiff: the container's process runs.
            int pid = 0;
            string pidFile = Path.Combine(suite.Root, "containers", id, "pidfile");
            while (DateTime.UtcNow < guard && (pid == 0 || !File.Exists($"/proc/{pid}/cmdline") || !File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep", StringComparison.Ordinal)))
            {
                Thread.Sleep(20);
                pid = File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int read) ? read : 0;
            }
            Assert.True(HostProcesses.IsAlive(pid), "the container's process never ran");

            Assert.StartsWith(name + " Up", suite.Ok("ps", "-a", "--filter", "name=" + name, "--format", "{{.Names}} {{.Status}}"));
            Assert.Equal($"running {pid}\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.Pid}}", id));
            suite.Ok("rm", "-f", name);
            Assert.False(HostProcesses.IsAlive(pid), "rm -f left the container's process running");
            Assert.Equal("", suite.Ok("ps", "-a", "--filter", "name=" + name, "--format", "{{.Names}}"));
            Assert.Empty(MountInfo.Under(suite.Root));
            Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
            Assert.Empty(suite.LingeringProcesses());
        }
        finally
        {
            File.Delete(hold);
            suite.Run("rm", "-f", id);
        }
    }

    /// <summary>
    /// A container whose monitor and process were killed, and whose pid the kernel has since given
    /// to another process (here the test's own sleep, put in the record, so the test never waits
    /// for a pid to come round): that process is not the container. ps shows the container exited,
    /// and rm -f, of it alone and of several (which kills every one before waiting), leaves the
    /// process alone.
    /// </summary>
    [Fact]
    public void A_reused_pid_is_not_the_container_and_rm_f_leaves_its_process_alive()
    {
        string id = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        string other = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        using Process stranger = Process.Start(new ProcessStartInfo("sleep", "1000"))!;
        try
        {
            int conmon = int.Parse(File.ReadAllText(Path.Combine(suite.Root, "containers", id, "conmon.pid")).Trim());
            int pid = int.Parse(suite.Ok("inspect", "-f", "{{.State.Pid}}", id).Trim());
            Native.Kill(conmon, 9);
            Native.Kill(pid, 9);
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while ((HostProcesses.IsAlive(conmon) || HostProcesses.IsAlive(pid)) && DateTime.UtcNow < deadline) Thread.Sleep(20);
            using (EngineDatabase database = new(Path.Combine(suite.Root, "engine.db")))
            {
                Skiff.Engine.Containers.ContainerRecord record = database.Find(id)!;
                record.State.Pid = stranger.Id;
                database.UpdateState(record);
            }

            Assert.Contains("Exited (137)", suite.Ok("ps", "-a", "--filter", "id=" + id));
            Assert.Contains("Up", suite.Ok("ps", "-a", "--filter", "id=" + other));
            Assert.Equal(id + "\n" + other + "\n", suite.Ok("rm", "-f", id, other));
            Assert.True(HostProcesses.IsAlive(stranger.Id), "rm -f killed a process that only has the container's old pid");
            Assert.Equal("", suite.Ok("ps", "-aq"));
        }
        finally
        {
            stranger.Kill();
            stranger.WaitForExit();
            suite.Run("rm", "-f", id, other);
        }
        Assert.Empty(MountInfo.Under(suite.Root));
    }

    /// <summary>
    /// A container whose monitor was killed while its process runs on: wait waits for the process
    /// without spinning on the runtime (a wrapper logs every runtime call), stop gives the stop
    /// signal its grace period (a TERM handler that needs 2 s finishes), and wait then returns.
    /// </summary>
    [Fact]
    public void Without_its_monitor_a_container_is_still_waited_for_and_stopped_gracefully()
    {
        string token = Guid.NewGuid().ToString("N")[..8];
        string log = Path.Combine(suite.RunDir, $"runtime-{token}.log");
        string runtime = Path.Combine(suite.RunDir, $"logging-runtime-{token}");
        EngineSuite.WriteRuntimeWrapper(runtime, $"echo \"$*\" >> {log}\n");
        string id = suite.Ok("run", "-d", "--runtime", runtime, "busybox", "sh", "-c", "trap 'sleep 2; touch /graceful; exit 5' TERM; touch /up; while :; do sleep 0.1; done").Trim();
        string upper = Path.Combine(suite.Root, "rw", id, "upper");
        Process? wait = null;
        try
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(30);
            while (!File.Exists(Path.Combine(upper, "up")) && DateTime.UtcNow < deadline) Thread.Sleep(20);
            int conmon = int.Parse(File.ReadAllText(Path.Combine(suite.Root, "containers", id, "conmon.pid")).Trim());
            Native.Kill(conmon, 9);
            while (HostProcesses.IsAlive(conmon) && DateTime.UtcNow < deadline) Thread.Sleep(20);

            int calls = File.ReadAllLines(log).Length;
            wait = suite.Start("wait", id);
            Assert.False(wait.WaitForExit(1000), "wait returned while the container runs");
            int during = File.ReadAllLines(log).Length - calls;
            Assert.True(during < 10, $"wait ran the runtime {during} times while the container ran");

            suite.Ok("stop", id);
            Assert.True(File.Exists(Path.Combine(upper, "graceful")), "stop killed the container before its TERM handler finished");
            Assert.True(wait.WaitForExit(30_000), "wait did not return after the container stopped");
            Assert.Equal(0, wait.ExitCode);
            Assert.Equal(suite.Ok("inspect", "-f", "{{.State.ExitCode}}", id), wait.StandardOutput.ReadToEnd());
            Assert.Equal("exited\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));
        }
        finally
        {
            if (wait is { HasExited: false }) wait.Kill();
            wait?.Dispose();
            suite.Run("rm", "-f", id);
        }
        Assert.Empty(MountInfo.Under(suite.Root));
    }

    /// <summary>
    /// An attached run whose monitor is killed: the output ends, but run goes on until the
    /// container's process is gone, and then does not report success.
    /// </summary>
    [Fact]
    public void An_attached_run_whose_monitor_dies_returns_only_when_the_container_is_gone()
    {
        string name = "orphaned-run-" + Guid.NewGuid().ToString("N")[..8];
        using Process cli = suite.Start("run", "--name", name, "busybox", "sh", "-c", "echo up; exec sleep 1000");
        try
        {
            Assert.Equal("up", cli.StandardOutput.ReadLine());
            string id = suite.Ok("inspect", "-f", "{{.Id}}", name).Trim();
            int pid = int.Parse(suite.Ok("inspect", "-f", "{{.State.Pid}}", id).Trim());
            int conmon = int.Parse(File.ReadAllText(Path.Combine(suite.Root, "containers", id, "conmon.pid")).Trim());
            Native.Kill(conmon, 9);
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (HostProcesses.IsAlive(conmon) && DateTime.UtcNow < deadline) Thread.Sleep(20);

            Assert.False(cli.WaitForExit(1500), "run returned while the container runs");
            Assert.Contains("Up", suite.Ok("ps", "--filter", "name=" + name, "--format", "{{.Status}}"));
            Native.Kill(pid, 9);
            Assert.True(cli.WaitForExit(30_000), "run did not return after the container's process was killed");
            Assert.Equal(137, cli.ExitCode);
        }
        finally
        {
            if (!cli.HasExited) cli.Kill();
            suite.Run("rm", "-f", name);
        }
        Assert.Empty(MountInfo.Under(suite.Root));
    }

    private static void Chattr(string change, string path)
    {
        using Process chattr = Process.Start(new ProcessStartInfo("chattr", [change, path]) { RedirectStandardError = true })!;
        string error = chattr.StandardError.ReadToEnd();
        chattr.WaitForExit();
        Assert.True(chattr.ExitCode == 0, $"chattr {change} {path}: {error}");
    }

    private static bool Reached(Step step, ref string? bundle, HashSet<string> before, string containers)
    {
        if (step == Step.BeforeCreate) return true;
        bundle ??= Directory.EnumerateDirectories(containers).FirstOrDefault(d => !before.Contains(d));
        return bundle is not null && step switch
        {
            Step.Created => true,
            Step.Monitored => File.Exists(Path.Combine(bundle, "conmon.pid")),
            _ => File.Exists(Path.Combine(bundle, "rootfs", "started")),
        };
    }
}
