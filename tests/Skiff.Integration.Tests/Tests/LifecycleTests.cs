using System.Text.Json;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;
using static Skiff.Integration.Tests.Tests.ProcessTests;

namespace Skiff.Integration.Tests.Tests;

/// <summary>create, start, state, kill, delete, list and run -d as containerd and conmon drive them.</summary>
[Collection(ContainerCollection.Name)]
public sealed class LifecycleTests(Suite suite)
{
    private const string Share = TestContainer.ShareMountPoint;

    [Fact]
    public void Create_start_exit_delete_goes_through_every_state()
    {
        using var c = new TestContainer(suite);
        c.Spec.Annotations = new Dictionary<string, string> { ["org.skiff.note"] = "kept" };
        c.Share().Shell($"echo started > {Share}/started; while [ ! -e {Share}/go ]; do sleep 0.02; done; exit 0");

        c.Create().AssertSuccess();
        var created = c.State();
        Assert.Equal(ContainerStatus.Created, created.Status);
        Assert.Equal(c.Id, created.Id);
        Assert.Equal(c.BundleDir, created.Bundle);
        Assert.Equal("kept", created.Annotations?.GetValueOrDefault("org.skiff.note"));
        Assert.Equal(c.PidFromFile(), created.Pid);
        Assert.True(HostProcesses.IsAlive(created.Pid), $"pid {created.Pid} of the created container is not alive");
        Assert.Contains($":memory:{c.CgroupsPath}", File.ReadAllText($"/proc/{created.Pid}/cgroup"));
        Assert.False(File.Exists(c.SharedFile("started")), "the process ran before start");

        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("started"));
        var running = c.State();
        Assert.Equal(ContainerStatus.Running, running.Status);
        Assert.Equal(created.Pid, running.Pid);

        File.WriteAllText(c.SharedFile("go"), "");
        c.WaitForStatus(ContainerStatus.Stopped);
        Assert.False(HostProcesses.IsAlive(created.Pid));

        c.Delete().AssertSuccess();
        var gone = c.Cli.Invoke("state", c.Id);
        Assert.True(gone.ExitCode != 0, $"state after delete should fail\n{gone}");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void State_prints_the_spec_state_document()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();

        var result = c.Cli.Invoke("state", c.Id).AssertSuccess();
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;

        Assert.Equal(c.Id, root.GetProperty("id").GetString());
        Assert.Equal("created", root.GetProperty("status").GetString());
        Assert.True(root.GetProperty("pid").GetInt32() > 0);
        Assert.Equal(c.BundleDir, root.GetProperty("bundle").GetString());
        Assert.StartsWith("1.", root.GetProperty("ociVersion").GetString());
    }

    [Fact]
    public void Delete_force_kills_a_running_container()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        var pid = c.State().Pid;

        c.Delete(force: true).AssertSuccess();

        Assert.False(HostProcesses.IsAlive(pid));
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Delete_force_cleans_up_a_created_container()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        var pid = c.PidFromFile();

        c.Delete(force: true).AssertSuccess();

        Assert.False(HostProcesses.IsAlive(pid));
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Run_detached_returns_while_the_container_runs()
    {
        using var c = new TestContainer(suite);
        c.Share().Shell($"echo up > {Share}/up; exec sleep 600");
        c.WriteConfig();

        c.Cli.Invoke("run", "--detach", "--pid-file", c.PidFile, "--bundle", c.BundleDir, c.Id).AssertSuccess();

        Wait.ForFile(c.SharedFile("up"));
        var state = c.State();
        Assert.Equal(ContainerStatus.Running, state.Status);
        Assert.Equal(c.PidFromFile(), state.Pid);
        c.Kill("KILL").AssertSuccess();
        c.WaitForStatus(ContainerStatus.Stopped);
        c.Delete().AssertSuccess();
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Run_keep_leaves_the_stopped_container_for_state_and_delete()
    {
        using var c = new TestContainer(suite);
        c.Shell("exit 4");
        c.WriteConfig();

        var run = c.Cli.Invoke("run", "--keep", "--bundle", c.BundleDir, c.Id);

        Assert.Equal(4, run.ExitCode);
        Assert.Equal(ContainerStatus.Stopped, c.State().Status);
        c.Delete().AssertSuccess();
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Kill_accepts_signal_names_with_and_without_SIG_and_numbers()
    {
        using var c = new TestContainer(suite);
        var log = $"{Share}/signals";
        c.Share().Shell(
            $"trap 'echo USR1 >> {log}' USR1; trap 'echo USR2 >> {log}' USR2; trap 'echo HUP >> {log}' HUP; " +
            $"trap 'echo TERM >> {log}; exit 0' TERM; echo ready > {Share}/ready; while :; do sleep 0.02; done");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("ready"));

        void SendAndSee(string signal, string expected, int count)
        {
            c.Kill(signal).AssertSuccess();
            Wait.Until(() => File.Exists(c.SharedFile("signals")) && Lines(File.ReadAllText(c.SharedFile("signals"))).Length == count,
                $"the container to record {expected} after `kill {signal}`");
            Assert.Equal(expected, Lines(File.ReadAllText(c.SharedFile("signals")))[^1]);
        }

        SendAndSee("USR1", "USR1", 1);
        SendAndSee("SIGUSR2", "USR2", 2);
        SendAndSee("1", "HUP", 3);
        SendAndSee("10", "USR1", 4);
        c.Kill().AssertSuccess(); // no signal: SIGTERM
        c.WaitForStatus(ContainerStatus.Stopped);
        Assert.Equal("TERM", Lines(File.ReadAllText(c.SharedFile("signals")))[^1]);
    }

    [Fact]
    public void Kill_all_signals_every_process_in_the_container()
    {
        using var c = new TestContainer(suite);
        // Without a PID namespace the children outlive their parent, unless kill --all finds them.
        c.Linux.Namespaces!.RemoveAll(n => n.Type == "pid");
        c.Share().Shell($"sleep 600 & echo $! >> {Share}/pids; sleep 600 & echo $! >> {Share}/pids; " +
                        $"echo $$ >> {Share}/pids; : > {Share}/ready; wait");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("ready"));
        var pids = Lines(File.ReadAllText(c.SharedFile("pids"))).Select(int.Parse).ToList();
        Assert.Equal(3, pids.Count);
        Assert.All(pids, p => Assert.True(HostProcesses.IsAlive(p)));

        c.Kill("--all", "KILL").AssertSuccess();

        Wait.Until(() => pids.All(p => !HostProcesses.IsAlive(p)), "every process of the container to die");
        c.WaitForStatus(ContainerStatus.Stopped);
        Assert.Empty(CgroupFs.ProcessesIn(c.CgroupsPath));
    }

    [Fact]
    public void Kill_signals_only_init_without_all()
    {
        using var c = new TestContainer(suite);
        c.Linux.Namespaces!.RemoveAll(n => n.Type == "pid");
        c.Share().Shell($"trap 'exit 0' TERM; sleep 600 & echo $! > {Share}/child; : > {Share}/ready; while :; do sleep 0.02; done");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("ready"));
        var child = int.Parse(File.ReadAllText(c.SharedFile("child")).Trim());

        c.Kill("TERM").AssertSuccess();
        c.WaitForStatus(ContainerStatus.Stopped);

        Assert.True(HostProcesses.IsAlive(child), "kill without --all signalled a process other than init");
        Assert.Contains(child, CgroupFs.ProcessesIn(c.CgroupsPath));
    }

    [SkiffOnlyFact("runc 1.1.5 leaves the cgroup of a create killed mid-way, and its hook running")]
    public void Runtime_killed_in_the_middle_of_create_leaves_nothing_delete_force_cannot_clean()
    {
        using var c = new TestContainer(suite);
        var inHook = Path.Combine(c.Dir, "in-hook");
        var release = Path.Combine(c.Dir, "release");
        c.OnDispose(() => File.WriteAllText(release, ""));
        // A createRuntime hook holds create mid-way, with namespaces, cgroup and state being made.
        c.Spec.Hooks = new Hooks
        {
            CreateRuntime = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"echo $$ > {inHook}.tmp; mv {inHook}.tmp {inHook}; while [ ! -e {release} ]; do sleep 0.05; done"] }],
        };
        c.Shell("sleep 600");
        c.WriteConfig();

        int hook;
        using (var create = c.Cli.Start(new CliOptions(), "create", "--bundle", c.BundleDir, "--pid-file", c.PidFile, c.Id))
        {
            hook = int.Parse(Wait.ForFile(inHook).Trim());
            Native.Kill(create.Pid, 9);
            create.WaitForExit(TimeSpan.FromSeconds(30));
        }
        // The hook dies with the runtime (parent-death signal), it is not left looping.
        Wait.Until(() => !HostProcesses.IsAlive(hook), $"hook {hook} to die with the killed runtime");

        c.Delete(force: true);

        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void A_hook_keeps_its_own_argv0_and_gets_a_clean_signal_state()
    {
        using var c = new TestContainer(suite);
        var seen = Path.Combine(c.Dir, "seen");
        // SigIgn and SigBlk of the hook itself: nothing of the runtime's ignored or blocked signals. They
        // are read by a program the hook execs into (exec keeps both): the shell's own /proc status, read
        // by a child, may show dash blocking every signal while it waits for that child.
        c.Spec.Hooks = new Hooks
        {
            Prestart = [new Hook { Path = "/bin/sh", Args = ["my-hook-name", "-c", $"echo $0 > {seen}; exec grep -E '^Sig(Ign|Blk):' /proc/self/status >> {seen}"] }],
        };
        c.Shell("true");
        c.Output();
        var lines = File.ReadAllLines(seen);
        Assert.Equal("my-hook-name", lines[0]);
        Assert.Equal("SigBlk:\t0000000000000000", lines[1]);
        Assert.Equal("SigIgn:\t0000000000000000", lines[2]);
    }

    [Fact]
    public void List_shows_every_container_of_the_root()
    {
        using var a = new TestContainer(suite);
        using var b = new TestContainer(suite, a.Cli);
        a.Shell("sleep 600");
        b.Shell("sleep 600");
        a.Create().AssertSuccess();
        b.Create().AssertSuccess();
        b.Start().AssertSuccess();

        var table = Lines(a.Cli.Invoke("list").AssertSuccess().Stdout);
        var quiet = Lines(a.Cli.Invoke("list", "--quiet").AssertSuccess().Stdout);
        var json = JsonSerializer.Deserialize(a.Cli.Invoke("list", "--format", "json").AssertSuccess().Stdout, OciJsonContext.Default.ListState)!;

        Assert.Equal(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], NamespaceTests.Fields(table[0]));
        var rowA = NamespaceTests.Fields(table.Single(l => l.StartsWith(a.Id + " ")));
        var rowB = NamespaceTests.Fields(table.Single(l => l.StartsWith(b.Id + " ")));
        Assert.Equal([a.Id, a.PidFromFile().ToString(), "created", a.BundleDir], rowA[..4]);
        Assert.Equal([b.Id, b.PidFromFile().ToString(), "running", b.BundleDir], rowB[..4]);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), quiet.Order());
        Assert.Equal("created", json.Single(s => s.Id == a.Id).Status);
        Assert.Equal("running", json.Single(s => s.Id == b.Id).Status);
        Assert.Equal(b.PidFromFile(), json.Single(s => s.Id == b.Id).Pid);
    }

    [Fact]
    public void List_of_an_empty_root_prints_only_the_header()
    {
        using var c = new TestContainer(suite);

        var result = c.Cli.Invoke("list").AssertSuccess();

        Assert.Equal(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], NamespaceTests.Fields(Lines(result.Stdout).Single()));
    }

    [Fact]
    public void Containers_run_concurrently_without_interfering()
    {
        var containers = new List<TestContainer>();
        try
        {
            for (var i = 0; i < 8; i++)
                containers.Add(new TestContainer(suite).Shell($"echo container {i}; hostname"));
            var results = containers.AsParallel().WithDegreeOfParallelism(4).Select(c => c.Run()).ToList();

            for (var i = 0; i < containers.Count; i++)
            {
                results[i].AssertSuccess();
                Assert.Equal($"container {i}\nskt-host\n", results[i].Stdout);
                containers[i].AssertNothingLeftBehind();
            }
        }
        finally
        {
            foreach (var c in containers)
                c.Dispose();
        }
    }

    [Fact]
    public async Task Concurrent_state_calls_during_start_always_see_a_whole_state()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();

        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 10).Select(_ => c.Cli.Invoke("state", c.Id)).ToList())).ToArray();
        c.Start().AssertSuccess();
        var results = await Task.WhenAll(readers);

        foreach (var result in results.SelectMany(r => r))
        {
            result.AssertSuccess();
            var state = JsonSerializer.Deserialize(result.Stdout, OciJsonContext.Default.State)!;
            Assert.Contains(state.Status, new[] { ContainerStatus.Created, ContainerStatus.Running });
        }
        Assert.Equal(ContainerStatus.Running, c.State().Status);
    }
}
