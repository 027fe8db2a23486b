using System.Globalization;
using System.Text.Json;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// pause, resume, update, events, ps and kill --all as dockerd, containerd and Podman use them, judged by
/// what a user sees: a counter that stops, limits in the host's cgroup files, stats that match them.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class CgroupVerbTests(Suite suite)
{
    private const string Share = TestContainer.ShareMountPoint;
    private const string Counter = $"i=0; while :; do i=$((i+1)); echo $i > {Share}/count.tmp; mv {Share}/count.tmp {Share}/count; sleep 0.05; done";

    [Fact]
    public void Pause_stops_a_counter_and_resume_restarts_it()
    {
        using var c = new TestContainer(suite);
        c.Share().Shell(Counter);
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.Until(() => Count(c) > 3, "the counter to advance");

        c.Cli.Invoke("pause", c.Id).AssertSuccess();
        Assert.Equal(ContainerStatus.Paused, c.State().Status);
        long frozenAt = Count(c);
        Thread.Sleep(500);
        Assert.Equal(frozenAt, Count(c));

        var again = c.Cli.Invoke("pause", c.Id);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("container not running", again.Stderr);

        c.Cli.Invoke("resume", c.Id).AssertSuccess();
        Assert.Equal(ContainerStatus.Running, c.State().Status);
        Wait.Until(() => Count(c) > frozenAt + 3, "the counter to advance again after resume");

        var notPaused = c.Cli.Invoke("resume", c.Id);
        Assert.NotEqual(0, notPaused.ExitCode);
        Assert.Contains("container not paused", notPaused.Stderr);
    }

    [Fact]
    public void A_created_container_can_be_paused_and_resumed()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();

        c.Cli.Invoke("pause", c.Id).AssertSuccess();
        Assert.Equal(ContainerStatus.Paused, c.State().Status);
        Assert.Equal("FROZEN", File.ReadAllText(CgroupFile(c, "freezer.state")).Trim());

        c.Cli.Invoke("resume", c.Id).AssertSuccess();
        Assert.Equal(ContainerStatus.Created, c.State().Status);
    }

    [Fact]
    public void A_relative_cgroups_path_is_found_by_verbs_run_from_another_cgroup()
    {
        // runc places a relative cgroupsPath below the runtime's own cgroup; the verbs after create
        // may run from anywhere (another shell, another service), and must find the same cgroup.
        using var c = new TestContainer(suite);
        c.Linux.CgroupsPath = "relative";
        c.Linux.Resources = new LinuxResources { Pids = new PidsResources { Limit = 77 } };
        c.Shell("sleep 600");
        string creator = c.CgroupsPath, elsewhere = c.CgroupsPath + "/elsewhere", placed = c.CgroupsPath + "/relative";
        c.Create(new CliOptions { Cgroup = creator }).AssertSuccess();
        Assert.Contains(c.PidFromFile(), CgroupFs.ProcessesIn(placed));
        var fromElsewhere = new CliOptions { Cgroup = elsewhere };

        c.Cli.Invoke(fromElsewhere, "start", c.Id).AssertSuccess();
        c.Cli.Invoke(fromElsewhere, "update", "--pids-limit", "55", c.Id).AssertSuccess();
        Assert.Equal("55", CgroupFs.Read(placed, "pids.max"));
        c.Cli.Invoke(fromElsewhere, "pause", c.Id).AssertSuccess();
        Assert.Equal("FROZEN", CgroupFs.Read(placed, "freezer.state"));
        string state = c.Cli.Invoke(fromElsewhere, "state", c.Id).AssertSuccess().Stdout;
        Assert.Equal(ContainerStatus.Paused, JsonSerializer.Deserialize(state, OciJsonContext.Default.State)!.Status);
        c.Cli.Invoke(fromElsewhere, "delete", "--force", c.Id).AssertSuccess();

        Assert.Empty(CgroupFs.ExistingDirectoriesOf(placed));
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(elsewhere + "/relative"));
    }

    [Fact]
    public void Pause_and_update_of_a_stopped_container_are_refused()
    {
        using var c = new TestContainer(suite);
        c.Shell("true");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        c.WaitForStatus(ContainerStatus.Stopped);

        var pause = c.Cli.Invoke("pause", c.Id);
        Assert.NotEqual(0, pause.ExitCode);
        Assert.Contains("container not running", pause.Stderr);
        var update = c.Cli.Invoke("update", "--memory", "64m", c.Id);
        Assert.NotEqual(0, update.ExitCode);
        Assert.Contains("container not running", update.Stderr);
    }

    /// <summary>crun writes kernelTCP on cgroup v1 (cgroup v2 has no such limit).</summary>
    [SkiffOnlyFact("runc 1.1.5 leaves memory.kmem.tcp.limit_in_bytes alone; crun writes it")]
    public void Kernel_tcp_limit_is_written_on_cgroup_v1()
    {
        using var c = new TestContainer(suite);
        c.Linux.Resources = new LinuxResources { Memory = new MemoryResources { KernelTcp = 32L << 20 } };
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        string file = CgroupFile(c, "memory.kmem.tcp.limit_in_bytes");
        Assert.Equal(32L << 20, ReadNumber(file));
    }

    [Fact]
    public void Update_changes_the_limits_of_a_running_container()
    {
        using var c = new TestContainer(suite);
        c.Linux.Resources = new LinuxResources { Memory = new MemoryResources { Limit = 256L << 20 }, Pids = new PidsResources { Limit = 100 } };
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Assert.Equal(256L << 20, ReadNumber(CgroupFile(c, "memory.limit_in_bytes")));

        c.Cli.Invoke("update", "--memory", "64m", "--pids-limit", "50", "--cpu-share", "512", c.Id).AssertSuccess();
        Assert.Equal(64L << 20, ReadNumber(CgroupFile(c, "memory.limit_in_bytes")));
        Assert.Equal(50, ReadNumber(CgroupFile(c, "pids.max")));
        Assert.Equal(512, ReadNumber(CgroupFile(c, "cpu.shares")));

        // dockerd's way: LinuxResources JSON on stdin. Values not given stay as they were.
        var json = Path.Combine(c.Dir, "resources.json");
        File.WriteAllText(json, """{"memory":{"limit":134217728},"pids":{"limit":20}}""");
        c.Cli.Invoke(new CliOptions { StdinPath = json }, "update", "--resources", "-", c.Id).AssertSuccess();
        Assert.Equal(128L << 20, ReadNumber(CgroupFile(c, "memory.limit_in_bytes")));
        Assert.Equal(20, ReadNumber(CgroupFile(c, "pids.max")));
        Assert.Equal(512, ReadNumber(CgroupFile(c, "cpu.shares")));

        c.Cli.Invoke("update", "--pids-limit", "-1", c.Id).AssertSuccess();
        Assert.Equal("max", File.ReadAllText(CgroupFile(c, "pids.max")).Trim());
        Assert.Equal(ContainerStatus.Running, c.State().Status);
    }

    [Fact]
    public void Update_with_a_bad_value_changes_nothing_and_says_why()
    {
        using var c = new TestContainer(suite);
        c.Linux.Resources = new LinuxResources { Memory = new MemoryResources { Limit = 256L << 20 } };
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        var result = c.Cli.Invoke("update", "--memory", "lots", c.Id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("invalid value for memory", Assert.Single(result.StderrLines));
        Assert.Equal(256L << 20, ReadNumber(CgroupFile(c, "memory.limit_in_bytes")));
    }

    [Fact]
    public void Events_stats_reports_memory_and_pids_that_match_the_cgroup_files()
    {
        using var c = new TestContainer(suite);
        c.Linux.Resources = new LinuxResources { Memory = new MemoryResources { Limit = 96L << 20 }, Pids = new PidsResources { Limit = 64 } };
        c.Share().Shell($"sleep 600 & sleep 600 & : > {Share}/ready; wait");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("ready"));

        var result = c.Cli.Invoke("events", "--stats", c.Id).AssertSuccess();
        using var json = JsonDocument.Parse(Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var root = json.RootElement;
        Assert.Equal("stats", root.GetProperty("type").GetString());
        Assert.Equal(c.Id, root.GetProperty("id").GetString());
        var data = root.GetProperty("data");

        var memory = data.GetProperty("memory").GetProperty("usage");
        Assert.Equal(ReadNumber(CgroupFile(c, "memory.limit_in_bytes")), memory.GetProperty("limit").GetInt64());
        Assert.Equal(96L << 20, memory.GetProperty("limit").GetInt64());
        long usage = memory.GetProperty("usage").GetInt64();
        Assert.True(usage > 0 && usage <= ReadNumber(CgroupFile(c, "memory.max_usage_in_bytes")), $"memory usage {usage}");

        var pids = data.GetProperty("pids");
        Assert.Equal(ReadNumber(CgroupFile(c, "pids.current")), pids.GetProperty("current").GetInt64());
        Assert.Equal(3, pids.GetProperty("current").GetInt64());
        Assert.Equal(64, pids.GetProperty("limit").GetInt64());
        Assert.True(data.GetProperty("cpu").GetProperty("usage").GetProperty("total").GetInt64() > 0);
    }

    [Fact]
    public void Events_streams_stats_every_interval_and_ends_when_the_container_stops()
    {
        using var c = new TestContainer(suite);
        c.Share().Shell($"while [ ! -e {Share}/stop ]; do sleep 0.05; done");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        using var events = c.Cli.Start(new CliOptions(), "events", "--interval", "200ms", c.Id);
        Wait.Until(() => StatsLines(c).Count >= 3, "three stats lines from events --interval 200ms");
        File.WriteAllText(c.SharedFile("stop"), "");
        c.WaitForStatus(ContainerStatus.Stopped);
        // runc 1.1 ends the stream when the cgroup goes away; skiff-runc already when the container stops.
        if (!RuntimeUnderTest.IsSkiff) c.Delete().AssertSuccess();
        var result = events.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.Equal(0, result.ExitCode);
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var json = JsonDocument.Parse(line);
            Assert.Equal("stats", json.RootElement.GetProperty("type").GetString());
            Assert.Equal(c.Id, json.RootElement.GetProperty("id").GetString());
        }
    }

    [Fact]
    public void An_oom_killed_memory_hog_shows_an_oom_event()
    {
        using var c = new TestContainer(suite);
        c.Linux.Resources = new LinuxResources { Memory = new MemoryResources { Limit = 16L << 20, Swap = 16L << 20 } };
        // dd fills a 64 MiB buffer from /dev/zero: more than the limit, so the OOM killer takes it.
        c.Share().Shell($"while [ ! -e {Share}/go ]; do sleep 0.05; done; exec dd if=/dev/zero of=/dev/null bs=64M count=1");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        using var events = c.Cli.Start(new CliOptions(), "events", "--interval", "100ms", c.Id);
        // The first stats line shows the OOM watch is in place before the hog starts.
        Wait.Until(() => StatsLines(c).Count >= 1, "events to start streaming");
        File.WriteAllText(c.SharedFile("go"), "");
        c.WaitForStatus(ContainerStatus.Stopped);
        if (!RuntimeUnderTest.IsSkiff) c.Delete().AssertSuccess();
        var result = events.WaitForExit(TimeSpan.FromSeconds(20));

        var oom = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "oom")
            .ToList();
        Assert.True(oom.Count > 0, $"no oom event\n{result}");
        Assert.Equal(c.Id, oom[0].GetProperty("id").GetString());
        Assert.False(oom[0].TryGetProperty("data", out _), "an oom event carries no data");
    }

    [SkiffOnlyFact("runc keeps updated resources in its own state.json, skiff-runc in the stored config.json")]
    public void Update_is_kept_in_the_stored_config()
    {
        using var c = new TestContainer(suite);
        c.Linux.Resources = new LinuxResources { Memory = new MemoryResources { Limit = 256L << 20, Reservation = 128L << 20 }, Pids = new PidsResources { Limit = 100 } };
        c.Shell("sleep 600");
        c.Create().AssertSuccess();

        c.Cli.Invoke("update", "--memory", "64m", "--cpu-share", "512", c.Id).AssertSuccess();
        File.WriteAllText(Path.Combine(c.Dir, "resources.json"), """{"pids":{"limit":20}}""");
        c.Cli.Invoke("update", "--resources", Path.Combine(c.Dir, "resources.json"), c.Id).AssertSuccess();

        var stored = JsonSerializer.Deserialize<Spec>(File.ReadAllText(Path.Combine(c.Cli.StateRoot, c.Id, "config.json")))!;
        var resources = stored.Linux!.Resources!;
        Assert.Equal(64L << 20, resources.Memory!.Limit);
        Assert.Equal(128L << 20, resources.Memory.Reservation);
        Assert.Equal(512UL, resources.Cpu!.Shares);
        Assert.Equal(20, resources.Pids!.Limit);
        Assert.Equal(20, ReadNumber(CgroupFile(c, "pids.max")));
    }

    /// <summary>
    /// On this hybrid host skiff-runc puts the init into the cgroup2 hierarchy only through clone3's
    /// CLONE_INTO_CGROUP (the parent writes just the v1 hierarchies' cgroup.procs), so the unified line
    /// shows that the init was born in its cgroup; the v1 lines show the parent's placement.
    /// </summary>
    [Fact]
    public void A_created_init_is_in_its_cgroup_in_every_hierarchy()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();

        var lines = File.ReadAllLines($"/proc/{c.PidFromFile()}/cgroup");
        Assert.Contains($"0::{c.CgroupsPath}", lines);
        Assert.All(lines, l => Assert.EndsWith(":" + c.CgroupsPath, l));
    }

    [Fact]
    public void Ps_lists_the_containers_processes()
    {
        using var c = new TestContainer(suite);
        c.Share().Shell($"sleep 601 & sleep 602 & : > {Share}/ready; wait");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("ready"));
        var inCgroup = CgroupFs.ProcessesIn(c.CgroupsPath);
        Assert.Equal(3, inCgroup.Count);

        var json = c.Cli.Invoke("ps", "--format", "json", c.Id).AssertSuccess();
        var pids = JsonSerializer.Deserialize<int[]>(json.Stdout)!;
        Assert.Equal(inCgroup.Order(), pids.Order());

        var table = c.Cli.Invoke("ps", c.Id, "-o", "pid,args").AssertSuccess();
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("PID", lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, l => l.Contains("sleep 601"));
        Assert.Contains(lines, l => l.Contains("sleep 602"));
        Assert.All(lines.Skip(1), l => Assert.Contains(int.Parse(l.Trim().Split(' ')[0], CultureInfo.InvariantCulture), inCgroup));

        var defaults = c.Cli.Invoke("ps", c.Id).AssertSuccess();
        Assert.Contains("UID", defaults.Stdout.Split('\n')[0]);
        Assert.Equal(4, defaults.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Ps_reports_a_host_ps_that_fails_or_is_missing_with_its_words()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        string bin = Directory.CreateTempSubdirectory("skt-ps-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(bin, "ps"), "#!/bin/sh\necho \"ps: unknown option $1\" >&2\nexit 3\n");
            File.SetUnixFileMode(Path.Combine(bin, "ps"), UnixFileMode.UserRead | UnixFileMode.UserExecute);

            var failing = c.Cli.Invoke(new CliOptions { Environment = new Dictionary<string, string> { ["PATH"] = bin } }, "ps", c.Id, "-Z");
            Assert.NotEqual(0, failing.ExitCode);
            Assert.Contains("ps -Z: exit status 3: ps: unknown option -Z", failing.Stderr);

            var missing = c.Cli.Invoke(new CliOptions { Environment = new Dictionary<string, string> { ["PATH"] = bin + "/none" } }, "ps", c.Id);
            Assert.NotEqual(0, missing.ExitCode);
            Assert.Contains("exec: \\\"ps\\\": executable file not found in $PATH", missing.Stderr);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
        c.Delete(force: true).AssertSuccess();
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Kill_all_reaches_a_paused_container()
    {
        using var c = new TestContainer(suite);
        c.Share().Shell($"sleep 600 & sleep 600 & : > {Share}/ready; wait");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("ready"));
        c.Cli.Invoke("pause", c.Id).AssertSuccess();

        c.Kill("--all", "KILL").AssertSuccess();

        Wait.Until(() => CgroupFs.ProcessesIn(c.CgroupsPath).Count == 0, "every process of the paused container to die");
        c.WaitForStatus(ContainerStatus.Stopped);
        c.Delete().AssertSuccess();
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Kill_of_a_paused_container_with_sigkill_stops_it()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        c.Cli.Invoke("pause", c.Id).AssertSuccess();

        c.Kill("KILL").AssertSuccess();

        c.WaitForStatus(ContainerStatus.Stopped);
    }

    [Fact]
    public void Kill_all_reaches_what_is_left_after_the_init_died()
    {
        using var c = new TestContainer(suite);
        // Without a PID namespace, children outlive the init; only the cgroup still knows them.
        c.Linux.Namespaces!.RemoveAll(n => n.Type == "pid");
        c.Share().Shell($"sleep 600 & echo $! > {Share}/child; exit 0");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        c.WaitForStatus(ContainerStatus.Stopped);
        var child = int.Parse(Wait.ForFile(c.SharedFile("child")).Trim(), CultureInfo.InvariantCulture);
        Assert.Contains(child, CgroupFs.ProcessesIn(c.CgroupsPath));

        var single = c.Kill("KILL");
        Assert.NotEqual(0, single.ExitCode);
        Assert.Contains("container not running", single.Stderr);

        c.Kill("--all", "KILL").AssertSuccess();
        Wait.Until(() => CgroupFs.ProcessesIn(c.CgroupsPath).Count == 0, "the orphaned child to be killed");
        Assert.False(HostProcesses.IsAlive(child));
    }

    private static long Count(TestContainer c)
    {
        long value = 0;
        Wait.Until(() => long.TryParse(ReadOrEmpty(c.SharedFile("count")).Trim(), out value), "the counter file");
        return value;
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    /// <summary>The file in whichever of the host's hierarchies has it for this container's cgroupsPath.</summary>
    private static string CgroupFile(TestContainer c, string name) => CgroupFs.FileOf(c.CgroupsPath, name);

    private static long ReadNumber(string path) => long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);

    /// <summary>The stats lines a running `events` has printed so far (read from its stdout file).</summary>
    private static List<string> StatsLines(TestContainer c) =>
        Directory.EnumerateFiles(c.Dir, "cli-*.out")
            .SelectMany(f => ReadOrEmpty(f).Split('\n'))
            .Where(l => l.StartsWith("{\"type\":\"stats\"", StringComparison.Ordinal) && l.EndsWith('}'))
            .ToList();
}
