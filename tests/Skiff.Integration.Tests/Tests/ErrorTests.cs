using System.Text.Json;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// Bad input and misuse: each fails with exit status 1 and one line that names the cause (where
/// clients read it: stderr, or the --log file), and leaves no state, cgroup, process or mount behind.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ErrorTests(Suite suite)
{
    [Fact]
    public void Malformed_config_json()
    {
        using var c = new TestContainer(suite);
        File.WriteAllText(Path.Combine(c.BundleDir, "config.json"), "{ \"ociVersion\": \"1.2.0\", not json");

        var result = c.Cli.Invoke("create", "--bundle", c.BundleDir, c.Id);

        var message = AssertFailedWithOneLine(result);
        if (RuntimeUnderTest.IsSkiff) // runc 1.1.5 prints only the JSON decoder's complaint
            Assert.Contains("config.json", message);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Missing_config_json()
    {
        using var c = new TestContainer(suite);

        var result = c.Cli.Invoke("create", "--bundle", c.BundleDir, c.Id);

        AssertFailedWithOneLine(result, "config.json");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Config_without_process()
    {
        using var c = new TestContainer(suite);
        c.Spec.Process = null;

        AssertFailedWithOneLine(c.Create(), "process");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Missing_rootfs()
    {
        using var c = new TestContainer(suite);
        c.Spec.Root!.Path = "no-such-rootfs";

        var message = AssertFailedWithOneLine(c.Create(), "no-such-rootfs");
        Assert.True(
            message.Contains("no such file or directory", StringComparison.OrdinalIgnoreCase)
            || message.Contains("does not exist", StringComparison.OrdinalIgnoreCase),
            message);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Args0_that_does_not_exist()
    {
        using var c = new TestContainer(suite);
        c.Process.Args = ["/no/such/binary", "arg"];

        AssertFailedWithOneLine(c.Create(), "/no/such/binary", "no such file or directory");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Args0_not_on_path()
    {
        using var c = new TestContainer(suite);
        c.Process.Args = ["no-such-command"];

        var message = AssertFailedWithOneLine(c.Create(), "no-such-command");
        Assert.True(
            message.Contains("executable file not found", StringComparison.OrdinalIgnoreCase)
            || message.Contains("no such file or directory", StringComparison.OrdinalIgnoreCase),
            message);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Args0_not_executable()
    {
        using var c = new TestContainer(suite);
        File.WriteAllText(Path.Combine(c.Rootfs, "not-executable"), "#!/bin/sh\necho never\n");
        c.Process.Args = ["/not-executable"];

        AssertFailedWithOneLine(c.Create(), "/not-executable", "permission denied");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Args0_missing_on_run_fails_the_same_way()
    {
        using var c = new TestContainer(suite);
        c.Process.Args = ["/no/such/binary"];

        AssertFailedWithOneLine(c.Run(), "/no/such/binary", "no such file or directory");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Error_is_written_to_the_json_log_as_containerd_and_podman_read_it()
    {
        using var c = new TestContainer(suite);
        c.Process.Args = ["/no/such/binary"];
        var log = Path.Combine(c.Dir, "runtime.log");

        var result = c.Create(new CliOptions { JsonLogPath = log });

        Assert.True(result.ExitCode == 1, result.ToString());
        var message = SingleJsonLogError(log);
        Assert.Contains("/no/such/binary", message);
        Assert.Contains("no such file or directory", message, StringComparison.OrdinalIgnoreCase);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Invalid_container_id_is_refused_before_anything_is_made()
    {
        using var c = new TestContainer(suite);
        c.WriteConfig();
        var escapeName = "skt-escape-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];

        var result = c.Cli.Invoke("create", "--bundle", c.BundleDir, $"../{escapeName}");

        AssertFailedWithOneLine(result);
        Assert.False(Directory.Exists(Path.Combine(c.Dir, escapeName)), "the id escaped --root");
        Assert.True(!Directory.Exists(c.Cli.StateRoot) || !Directory.EnumerateFileSystemEntries(c.Cli.StateRoot).Any(),
            "something was left under --root");
    }

    [Fact]
    public void Duplicate_container_id_leaves_the_first_container_alone()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        var first = c.State();

        var second = c.Cli.Invoke("create", "--bundle", c.BundleDir, c.Id);

        AssertFailedWithOneLine(second, "exists");
        var after = c.State();
        Assert.Equal(ContainerStatus.Created, after.Status);
        Assert.Equal(first.Pid, after.Pid);
        Assert.True(HostProcesses.IsAlive(first.Pid));
        c.Start().AssertSuccess();
        Assert.Equal(ContainerStatus.Running, c.State().Status);
    }

    [Fact]
    public void Run_with_a_duplicate_container_id_leaves_the_first_container_alone()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        var first = c.State();

        var second = c.Cli.Invoke("run", "--bundle", c.BundleDir, c.Id);

        AssertFailedWithOneLine(second, "exists");
        var after = c.State();
        Assert.Equal(ContainerStatus.Created, after.Status);
        Assert.Equal(first.Pid, after.Pid);
        Assert.True(HostProcesses.IsAlive(first.Pid));
    }

    [Fact]
    public void Start_on_a_running_container()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        var pid = c.State().Pid;

        AssertFailedWithOneLine(c.Start(), "running");
        Assert.Equal(ContainerStatus.Running, c.State().Status);
        Assert.True(HostProcesses.IsAlive(pid));
    }

    [Fact]
    public void Start_on_a_stopped_container()
    {
        using var c = new TestContainer(suite);
        c.Shell("true");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        c.WaitForStatus(ContainerStatus.Stopped);

        AssertFailedWithOneLine(c.Start(), "stopped");
        Assert.Equal(ContainerStatus.Stopped, c.State().Status);
    }

    [Fact]
    public void Unknown_signal()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        var pid = c.State().Pid;

        AssertFailedWithOneLine(c.Kill("SIGNOPE"), "NOPE", "signal");
        Assert.Equal(ContainerStatus.Running, c.State().Status);
        Assert.True(HostProcesses.IsAlive(pid));
    }

    [Theory]
    [InlineData("state")]
    [InlineData("start")]
    [InlineData("kill")]
    [InlineData("delete")]
    public void Verbs_on_a_container_that_does_not_exist(string verb)
    {
        using var c = new TestContainer(suite);

        var message = AssertFailedWithOneLine(c.Cli.Invoke(verb, c.Id), "does not exist");
        if (RuntimeUnderTest.IsSkiff) // runc 1.1.5 does not say which container
            Assert.Contains(c.Id, message);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Rlimit_above_what_the_host_allows()
    {
        using var c = new TestContainer(suite);
        // Above fs.nr_open: no process can have it, whatever its capabilities.
        c.Process.Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Soft = 1 << 30, Hard = 1 << 30 }];

        AssertFailedWithOneLine(c.Create(), "rlimit");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Failing_hook_fails_create_and_cleans_up()
    {
        using var c = new TestContainer(suite);
        c.Spec.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "exit 7"] }] };
        var log = Path.Combine(c.Dir, "runtime.log");

        var result = c.Create(new CliOptions { JsonLogPath = log });

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("hook", SingleJsonLogError(log), StringComparison.OrdinalIgnoreCase);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Hook_past_its_timeout_is_killed_and_fails_create()
    {
        using var c = new TestContainer(suite);
        var marker = $"29.{Random.Shared.Next(100000, 999999)}"; // a sleep we can recognise in /proc
        c.Spec.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/bin/sleep", Args = ["sleep", marker], Timeout = 1 }] };
        var log = Path.Combine(c.Dir, "runtime.log");

        var result = c.Create(new CliOptions { JsonLogPath = log });

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches("(?i)time(d)? ?out", SingleJsonLogError(log));
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc"), d =>
            File.Exists(Path.Combine(d, "cmdline")) && SafeRead(Path.Combine(d, "cmdline")).Contains(marker));
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Seccomp_filter_is_enforced()
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Architectures = ["SCMP_ARCH_X86_64"],
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }],
        };
        c.Shell($"grep ^Seccomp: /proc/self/status; {ProcessTests.Try("mkdir /tmp/d")}");

        var result = c.Run();

        result.AssertSuccess();
        var lines = ProcessTests.Lines(result.Stdout);
        Assert.Equal("Seccomp:\t2", lines[0]);
        Assert.Contains("Operation not permitted", lines[1]);
    }

    [Fact]
    public void Seccomp_filter_is_enforced_for_a_non_root_user_without_no_new_privileges()
    {
        using var c = new TestContainer(suite);
        c.Process.NoNewPrivileges = false;
        c.Process.User = new User { Uid = 1000, Gid = 1000 };
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdirat", "mkdir"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }],
        };
        c.Shell($"grep ^Seccomp: /proc/self/status; id -u; {ProcessTests.Try("mkdir /tmp/d")}");

        var result = c.Run();

        result.AssertSuccess();
        var lines = ProcessTests.Lines(result.Stdout);
        Assert.Equal("Seccomp:\t2", lines[0]);
        Assert.Equal("1000", lines[1]);
        Assert.Contains("Operation not permitted", lines[2]);
    }

    [Fact]
    public void Seccomp_notify_without_a_listening_agent_fails_and_leaves_nothing()
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            ListenerPath = "/run/nobody-listens.sock",
            Syscalls = [new SeccompSyscall { Names = ["mkdir"], Action = "SCMP_ACT_NOTIFY" }],
        };
        c.Shell("true");

        AssertFailedWithOneLine(c.Run(), "seccomp", "/run/nobody-listens.sock");
        c.AssertNothingLeftBehind();
    }

    /// <summary>Exit status 1 and exactly one line on stderr containing each fragment (case-insensitive).</summary>
    private static string AssertFailedWithOneLine(CliResult result, params string[] fragments)
    {
        Assert.True(result.ExitCode == 1, $"expected exit status 1\n{result}");
        Assert.True(result.StderrLines.Count == 1, $"expected one line on stderr\n{result}");
        var message = result.StderrLines[0];
        foreach (var f in fragments)
            Assert.True(message.Contains(f, StringComparison.OrdinalIgnoreCase), $"error does not mention \"{f}\": {message}");
        return message;
    }

    /// <summary>The one error-level entry of a --log-format json log, as containerd's shim reads it.</summary>
    private static string SingleJsonLogError(string logPath)
    {
        Assert.True(File.Exists(logPath), $"no log written at {logPath}");
        var errors = File.ReadAllLines(logPath)
            .Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("level").GetString() == "error")
            .Select(e => e.GetProperty("msg").GetString() ?? "")
            .ToList();
        Assert.True(errors.Count == 1, $"expected one error entry in the json log, got: {File.ReadAllText(logPath)}");
        return errors[0];
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
