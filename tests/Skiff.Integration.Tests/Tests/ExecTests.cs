using System.Text.Json;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// `exec` as docker exec, kubectl exec and conmon use it: the new process must be where the
/// container's init is (every namespace, the cgroup, the rootfs) and report its own exit code.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ExecTests(Suite suite)
{
    private static readonly string[] NamespaceFiles = ["pid", "net", "mnt", "ipc", "uts", "cgroup"];

    private static TestContainer Running(Suite suite, Action<TestContainer>? configure = null)
    {
        var c = new TestContainer(suite);
        c.Shell("sleep 600");
        configure?.Invoke(c);
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        return c;
    }

    private static string Link(string path) => new FileInfo(path).LinkTarget ?? throw new IOException($"{path} is not a link");

    private static string CommandOf(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Replace('\0', ' ');

    private static string StatusField(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..].Trim();

    [Fact]
    public void Exec_joins_every_namespace_and_the_cgroup_of_the_init()
    {
        using var c = Running(suite);
        int init = c.PidFromFile();
        string script = string.Join("; ", NamespaceFiles.Select(n => $"readlink /proc/self/ns/{n}")) + "; cat /proc/self/cgroup; hostname; echo $$";
        var result = c.Cli.Invoke("exec", c.Id, "sh", "-c", script).AssertSuccess();

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < NamespaceFiles.Length; i++)
            Assert.Equal(Link($"/proc/{init}/ns/{NamespaceFiles[i]}"), lines[i]);
        Assert.Equal(File.ReadAllText($"/proc/{init}/cgroup").Trim(), string.Join('\n', lines[NamespaceFiles.Length..^2]));
        Assert.Equal("skt-host", lines[^2]);
        // In the container's PID namespace, where init is 1: the exec'd shell has a small pid of its own.
        Assert.NotEqual("1", lines[^1]);
        Assert.True(int.Parse(lines[^1]) < 100, $"pid {lines[^1]} does not look like one of the container's PID namespace");
    }

    [Fact]
    public void Exec_sees_the_container_rootfs_not_the_host()
    {
        using var c = Running(suite);
        File.WriteAllText(Path.Combine(c.Rootfs, "marker"), "inside\n");
        var result = c.Cli.Invoke("exec", c.Id, "cat", "/marker").AssertSuccess();
        Assert.Equal("inside\n", result.Stdout);
        var host = c.Cli.Invoke("exec", c.Id, "ls", c.Dir);
        Assert.NotEqual(0, host.ExitCode);
    }

    [Fact]
    public void Exit_codes_and_signals_propagate()
    {
        using var c = Running(suite);
        Assert.Equal(7, c.Cli.Invoke("exec", c.Id, "sh", "-c", "exit 7").ExitCode);
        Assert.Equal(0, c.Cli.Invoke("exec", c.Id, "true").ExitCode);
        Assert.Equal(128 + 9, c.Cli.Invoke("exec", c.Id, "sh", "-c", "kill -9 $$").ExitCode);
    }

    [Fact]
    public void A_missing_program_is_reported_like_runc()
    {
        using var c = Running(suite);
        var result = c.Cli.Invoke("exec", c.Id, "no-such-program");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no-such-program", result.Stderr);
        Assert.Contains("executable file not found in $PATH", result.Stderr);
        // The container is untouched by the failed exec.
        Assert.Equal(ContainerStatus.Running, c.State().Status);
    }

    [Fact]
    public void Flags_set_user_env_cwd_and_groups()
    {
        using var c = Running(suite);
        var result = c.Cli.Invoke("exec", "--user", "1000:1001", "-g", "5", "-g", "7", "--env", "FOO=bar", "--env", "BAZ=qux",
            "--cwd", "/tmp", c.Id, "sh", "-c", "id -u; id -g; id -G; pwd; echo $FOO$BAZ; echo $PATH").AssertSuccess();
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["1000", "1001", "1001 5 7", "/tmp", "barqux"], lines[..5]);
        // The container's own environment is kept, the flags' appended.
        Assert.Equal(c.Process.Env!.First(e => e.StartsWith("PATH=", StringComparison.Ordinal))[5..], lines[5]);
    }

    [Fact]
    public void Exec_keeps_the_containers_capabilities_and_cap_adds_one()
    {
        using var c = Running(suite);
        string bounding = c.Cli.Invoke("exec", c.Id, "sh", "-c", "grep CapBnd /proc/self/status").AssertSuccess().Stdout;
        string initBounding = File.ReadLines($"/proc/{c.PidFromFile()}/status").First(l => l.StartsWith("CapBnd", StringComparison.Ordinal));
        Assert.Equal(initBounding, bounding.Trim());

        var added = c.Cli.Invoke("exec", "--cap", "CAP_SYS_ADMIN", c.Id, "sh", "-c", "grep -E 'CapEff|CapInh' /proc/self/status").AssertSuccess();
        ulong effective = Convert.ToUInt64(added.Stdout.Split('\n').First(l => l.StartsWith("CapEff", StringComparison.Ordinal)).Split('\t')[1], 16);
        Assert.NotEqual(0UL, effective & (1UL << 21));
        // --cap never reaches the inheritable set (CVE-2022-29162).
        Assert.Contains("CapInh:\t0000000000000000", added.Stdout);
    }

    [Theory]
    [InlineData(false, new string[0], "0")]
    [InlineData(false, new[] { "--no-new-privs" }, "1")]
    [InlineData(true, new string[0], "1")]
    [InlineData(true, new[] { "--no-new-privs=false" }, "0")]
    public void No_new_privs_follows_the_container_unless_the_flag_says_otherwise(bool container, string[] flags, string expected)
    {
        using var c = Running(suite, c => c.Spec.Process!.NoNewPrivileges = container);
        var result = c.Cli.Invoke(["exec", .. flags, c.Id, "grep", "NoNewPrivs", "/proc/self/status"]).AssertSuccess();
        Assert.Equal($"NoNewPrivs:\t{expected}", result.Stdout.Trim());
    }

    [Fact]
    public void Process_file_is_used_as_given()
    {
        using var c = Running(suite);
        var process = new Process
        {
            Args = ["sh", "-c", "echo $ONLY; id -u; pwd"], Env = ["ONLY=from-file", "PATH=/bin:/usr/bin"], Cwd = "/etc",
            User = new User { Uid = 42, Gid = 42 },
        };
        string path = Path.Combine(c.Dir, "process.json");
        File.WriteAllText(path, JsonSerializer.Serialize(process, OciJsonContext.Default.Process));
        var result = c.Cli.Invoke("exec", "--process", path, c.Id).AssertSuccess();
        Assert.Equal("from-file\n42\n/etc\n", result.Stdout);
    }

    [SkiffOnlyFact("runc's error does not name the file")]
    public void A_malformed_process_file_is_refused_by_name()
    {
        using var c = Running(suite);
        string path = Path.Combine(c.Dir, "process.json");
        File.WriteAllText(path, "{ \"args\": [ ");
        var result = c.Cli.Invoke("exec", "--process", path, c.Id);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(path, result.Stderr);
    }

    [Fact]
    public void Exec_into_a_user_namespace_container_is_mapped_like_its_init()
    {
        using var c = Running(suite, c =>
        {
            c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "user" });
            c.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
            c.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 200000, Size = 65536 }];
        });
        int init = c.PidFromFile();
        var result = c.Cli.Invoke("exec", c.Id, "sh", "-c", "readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map").AssertSuccess();
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Link($"/proc/{init}/ns/user"), lines[0]);
        Assert.Equal("0", lines[1]);
        Assert.Equal(["0", "100000", "65536"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // Seen from the host, the exec'd process runs as the mapped host uid.
        string pidFile = Path.Combine(c.Dir, "exec.pid");
        c.Cli.Invoke("exec", "-d", "--pid-file", pidFile, c.Id, "sleep", "60").AssertSuccess();
        Assert.Equal("100000", StatusField(int.Parse(File.ReadAllText(pidFile)), "Uid").Split('\t')[0]);
    }

    [SkiffOnlyFact("runc 1.1.5 predates time namespaces")]
    public void Exec_into_a_time_namespace_sees_the_offsets()
    {
        const long tenDays = 864000;
        using var c = Running(suite, c =>
        {
            c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "time" });
            c.Linux.TimeOffsets = new Dictionary<string, TimeOffset> { ["boottime"] = new() { Secs = tenDays, Nanosecs = 0 } };
        });
        var result = c.Cli.Invoke("exec", c.Id, "sh", "-c", "readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime").AssertSuccess();
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Link($"/proc/{c.PidFromFile()}/ns/time"), lines[0]);
        Assert.True(long.Parse(lines[1]) >= tenDays, $"uptime {lines[1]} inside does not include the boottime offset");
    }

    [Fact]
    public void Exec_into_a_readonly_rootfs_cannot_write_it()
    {
        using var c = Running(suite, c => c.Spec.Root!.Readonly = true);
        var result = c.Cli.Invoke("exec", c.Id, "sh", "-c", "touch /new-file; echo $?");
        Assert.Equal("1", result.Stdout.Trim());
        Assert.False(File.Exists(Path.Combine(c.Rootfs, "new-file")));
    }

    [Fact]
    public void Exec_with_a_tty_gets_a_pty_through_the_console_socket()
    {
        using var c = Running(suite);
        using var socket = new ConsoleSocket(Path.Combine(c.Dir, "exec-console.sock"));
        // Detached, as containerd's shim and conmon call it: the pty master goes to the socket.
        using var exec = c.Cli.Start(new CliOptions(), "exec", "--tty", "--detach", "--console-socket", socket.Path, c.Id,
            "sh", "-c", "tty; echo 'say>'; read line; echo \"got:$line\"");
        using var master = socket.ReceiveMaster(TimeSpan.FromSeconds(30));
        string before = master.ReadUntil("say>", TimeSpan.FromSeconds(30));
        master.Write("hello\n");
        string output = (before + master.ReadUntilClosed(TimeSpan.FromSeconds(30))).Replace("\r\n", "\n");
        exec.WaitForExit(TimeSpan.FromSeconds(30)).AssertSuccess();
        Assert.Matches("^/dev/pts/[0-9]+\n", output);
        Assert.Contains("got:hello", output);
    }

    [Fact]
    public void A_tty_exec_that_would_detach_needs_a_console_socket()
    {
        using var c = Running(suite);
        var result = c.Cli.Invoke("exec", "-t", "-d", c.Id, "true");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cannot allocate tty if runc will detach without setting console socket", result.Stderr);
    }

    [Fact]
    public void Detached_exec_writes_the_pid_file_and_leaves_the_process_running()
    {
        using var c = Running(suite);
        string pidFile = Path.Combine(c.Dir, "exec.pid");
        c.Cli.Invoke("exec", "-d", "--pid-file", pidFile, c.Id, "sleep", "300").AssertSuccess();
        int pid = int.Parse(File.ReadAllText(pidFile));
        Assert.Equal("sleep 300", CommandOf(pid));
        Assert.Contains(pid, CgroupFs.ProcessesIn(c.CgroupsPath));
        Assert.Equal(Link($"/proc/{c.PidFromFile()}/ns/pid"), Link($"/proc/{pid}/ns/pid"));
    }

    [Fact]
    public void A_hundred_concurrent_execs_each_report_their_own_exit_code()
    {
        using var c = Running(suite);
        var runs = Enumerable.Range(0, 100)
            .Select(i => (Code: i % 60, Cli: c.Cli.Start(new CliOptions(), "exec", c.Id, "sh", "-c", $"echo {i}; exit {i % 60}")))
            .ToArray();
        try
        {
            for (int i = 0; i < runs.Length; i++)
            {
                var result = runs[i].Cli.WaitForExit(TimeSpan.FromSeconds(120));
                Assert.True(runs[i].Code == result.ExitCode, $"exec {i}: {result}");
                Assert.Equal($"{i}\n", result.Stdout);
            }
        }
        finally
        {
            foreach (var run in runs) run.Cli.Dispose();
        }
    }

    [Fact]
    public void Exec_into_a_paused_container_is_refused_unless_ignore_paused()
    {
        using var c = Running(suite);
        c.Cli.Invoke("pause", c.Id).AssertSuccess();
        try
        {
            var refused = c.Cli.Invoke("exec", c.Id, "true");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("paused", refused.Stderr);

            // Let through, the process is frozen with the rest of the container until resume.
            string marker = Path.Combine(c.Rootfs, "ran");
            using var exec = c.Cli.Start(new CliOptions(), "exec", "--ignore-paused", c.Id, "touch", "/ran");
            Thread.Sleep(500);
            Assert.False(File.Exists(marker));
            c.Cli.Invoke("resume", c.Id).AssertSuccess();
            exec.WaitForExit(TimeSpan.FromSeconds(60)).AssertSuccess();
            Assert.True(File.Exists(marker));
        }
        finally { c.Cli.Invoke("resume", c.Id); }
    }

    [Fact]
    public void Exec_into_a_stopped_container_is_refused()
    {
        using var c = new TestContainer(suite);
        c.Shell("true");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        c.WaitForStatus(ContainerStatus.Stopped);
        var result = c.Cli.Invoke("exec", c.Id, "true");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cannot exec in a stopped container", result.Stderr);
    }

    [Fact]
    public void Exec_into_a_created_container_runs_before_start()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        var result = c.Cli.Invoke("exec", c.Id, "sh", "-c", "readlink /proc/self/ns/pid").AssertSuccess();
        Assert.Equal(Link($"/proc/{c.PidFromFile()}/ns/pid"), result.Stdout.Trim());
        Assert.Equal(ContainerStatus.Created, c.State().Status);
    }

    [Fact]
    public void Preserve_fds_passes_the_callers_extra_descriptors_and_no_others()
    {
        using var c = Running(suite);
        string file = Path.Combine(c.Dir, "fd3.txt");
        File.WriteAllText(file, "through fd 3\n");
        var passed = c.Cli.Invoke(new CliOptions { Fd3Path = file }, "exec", "--preserve-fds", "1", c.Id, "sh", "-c", "cat <&3").AssertSuccess();
        Assert.Equal("through fd 3\n", passed.Stdout);

        var closed = c.Cli.Invoke(new CliOptions { Fd3Path = file }, "exec", c.Id, "sh", "-c", "ls /proc/self/fd");
        Assert.Equal(["0", "1", "2", "3"], ProcessTests.Lines(closed.Stdout)); // 3 is ls's own directory handle
    }

    [Fact]
    public void A_missing_cwd_is_refused_and_names_it()
    {
        using var c = Running(suite);
        var result = c.Cli.Invoke("exec", "--cwd", "/no/such/dir", c.Id, "true");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("/no/such/dir", result.Stderr);
    }

    [Fact]
    public void Exec_into_an_existing_sub_cgroup()
    {
        using var c = Running(suite);
        string HierarchyDir(string controller) =>
            CgroupFs.ExistingDirectoriesOf(c.CgroupsPath).Single(d => d.StartsWith($"/sys/fs/cgroup/{controller}/", StringComparison.Ordinal));
        string pidsSub = Path.Combine(HierarchyDir("pids"), "exec-sub");
        string memorySub = Path.Combine(HierarchyDir("memory"), "exec-mem");
        var result = c.Cli.Invoke("exec", "--cgroup", "nope", c.Id, "true");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("nope", result.Stderr);

        Directory.CreateDirectory(pidsSub);
        Directory.CreateDirectory(memorySub);
        try
        {
            var one = c.Cli.Invoke("exec", "--cgroup", "pids:exec-sub", c.Id, "cat", "/proc/self/cgroup").AssertSuccess();
            Assert.Contains(one.Stdout.Split('\n'), l => l.Contains(":pids:", StringComparison.Ordinal) && l.EndsWith("/exec-sub", StringComparison.Ordinal));
            Assert.Contains(one.Stdout.Split('\n'), l => l.Contains(":memory:", StringComparison.Ordinal) && l.EndsWith(c.Id, StringComparison.Ordinal));

            // Given more than once, one sub-cgroup per controller (runc's repeated --cgroup).
            var two = c.Cli.Invoke("exec", "--cgroup", "pids:exec-sub", "--cgroup", "memory:exec-mem", c.Id, "cat", "/proc/self/cgroup").AssertSuccess();
            Assert.Contains(two.Stdout.Split('\n'), l => l.Contains(":pids:", StringComparison.Ordinal) && l.EndsWith("/exec-sub", StringComparison.Ordinal));
            Assert.Contains(two.Stdout.Split('\n'), l => l.Contains(":memory:", StringComparison.Ordinal) && l.EndsWith("/exec-mem", StringComparison.Ordinal));
        }
        finally
        {
            foreach (string sub in new[] { pidsSub, memorySub })
                Wait.Until(() => { try { Directory.Delete(sub); return true; } catch (IOException) { return false; } }, "the sub-cgroup to empty");
        }
    }
}
