using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>config.json's `process`, observed from inside the container.</summary>
[Collection(ContainerCollection.Name)]
public sealed class ProcessTests(Suite suite)
{
    [Fact]
    public void Process_is_pid_1_of_its_own_pid_namespace()
    {
        using var c = new TestContainer(suite);
        c.Shell("echo pid=$$; tr '\\0' ' ' < /proc/1/cmdline; echo; ls /proc | grep -c '^[0-9]'");

        var lines = Lines(c.Output());

        Assert.Equal("pid=1", lines[0]);
        Assert.StartsWith("sh -c echo pid=$$", lines[1]);
        // Only the container's own processes are visible: sh, and the ls/grep of the pipeline.
        Assert.InRange(int.Parse(lines[2]), 1, 3);
    }

    [Fact]
    public void Args_are_passed_unchanged()
    {
        using var c = new TestContainer(suite);
        c.Process.Args = ["/bin/echo", "two  spaces", "quote\"d", "$HOME", "tab\there"];

        Assert.Equal("two  spaces quote\"d $HOME tab\there\n", c.Output());
    }

    [Fact]
    public void User_sets_uid_gid_and_additional_groups()
    {
        using var c = new TestContainer(suite);
        c.Process.User = new User { Uid = 1000, Gid = 1001, AdditionalGids = [10, 20] };
        c.Shell("id; grep -E '^(Uid|Gid|Groups):' /proc/self/status");

        var lines = Lines(c.Output());

        Assert.Equal("uid=1000 gid=1001 groups=10,20", lines[0]);
        Assert.Equal("Uid:\t1000\t1000\t1000\t1000", lines[1]);
        Assert.Equal("Gid:\t1001\t1001\t1001\t1001", lines[2]);
        Assert.Equal("Groups:\t10 20", lines[3].TrimEnd());
    }

    [Fact]
    public void Root_user_has_no_supplementary_groups_from_the_host()
    {
        using var c = new TestContainer(suite);
        c.Shell("id; grep '^Groups:' /proc/self/status");

        var lines = Lines(c.Output());

        Assert.Equal("uid=0(root) gid=0(root)", lines[0]);
        Assert.Equal("Groups:", lines[1].TrimEnd());
    }

    [Fact]
    public void Umask_is_applied()
    {
        using var c = new TestContainer(suite);
        c.Process.User.Umask = Convert.ToUInt32("027", 8);
        c.Shell("umask; touch /tmp/f; mkdir /tmp/d; stat -c '%a' /tmp/f /tmp/d");

        Assert.Equal(["0027", "640", "750"], Lines(c.Output()));
    }

    [Fact]
    public void Rlimits_are_set_soft_and_hard()
    {
        using var c = new TestContainer(suite);
        c.Process.Rlimits =
        [
            new Rlimit { Type = "RLIMIT_NOFILE", Soft = 512, Hard = 1000 },
            new Rlimit { Type = "RLIMIT_NPROC", Soft = 300, Hard = 400 },
            new Rlimit { Type = "RLIMIT_CORE", Soft = 0, Hard = 0 },
            new Rlimit { Type = "RLIMIT_STACK", Soft = 4 << 20, Hard = 16 << 20 },
        ];
        c.Shell("ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu; ulimit -c; ulimit -s; ulimit -a; cat /proc/self/limits");

        var output = c.Output();
        var lines = Lines(output);

        Assert.Equal(["512", "1000", "300", "400", "0", "4096"], lines[..6]);
        Assert.Contains(lines, l => l.StartsWith("Max open files") && Fields(l)[^3..].SequenceEqual(["512", "1000", "files"]));
        Assert.Contains(lines, l => l.StartsWith("Max processes") && Fields(l)[^3..].SequenceEqual(["300", "400", "processes"]));
        Assert.Contains(lines, l => l.StartsWith("Max stack size") && Fields(l)[^3..].SequenceEqual(["4194304", "16777216", "bytes"]));
    }

    [Fact]
    public void Capability_sets_are_exactly_the_configured_ones_for_root()
    {
        using var c = new TestContainer(suite);
        c.Process.Capabilities = new Capabilities
        {
            Bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"],
            Permitted = ["CAP_CHOWN", "CAP_KILL"],
            Effective = ["CAP_CHOWN", "CAP_KILL"],
            Inheritable = ["CAP_KILL"],
            Ambient = ["CAP_KILL"],
        };
        c.Process.NoNewPrivileges = true; // without it, exec as root would refill permitted from the bounding set
        c.Shell("grep ^Cap /proc/self/status");

        var caps = CapabilityMasks(c.Output());

        Assert.Equal(Mask("CAP_KILL"), caps["CapInh"]);
        Assert.Equal(Mask("CAP_CHOWN", "CAP_KILL"), caps["CapPrm"]);
        Assert.Equal(Mask("CAP_CHOWN", "CAP_KILL"), caps["CapEff"]);
        Assert.Equal(Mask("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"), caps["CapBnd"]);
        Assert.Equal(Mask("CAP_KILL"), caps["CapAmb"]);
    }

    [Fact]
    public void Ambient_capabilities_survive_exec_as_a_non_root_user()
    {
        using var c = new TestContainer(suite);
        c.Process.User = new User { Uid = 1000, Gid = 1000 };
        c.Process.Capabilities = new Capabilities
        {
            Bounding = ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
            Permitted = ["CAP_NET_BIND_SERVICE"],
            Effective = ["CAP_NET_BIND_SERVICE"],
            Inheritable = ["CAP_NET_BIND_SERVICE"],
            Ambient = ["CAP_NET_BIND_SERVICE"],
        };
        c.Shell("grep ^Cap /proc/self/status");

        var caps = CapabilityMasks(c.Output());

        // An unprivileged exec keeps only the ambient set in permitted and effective (capabilities(7)).
        Assert.Equal(Mask("CAP_NET_BIND_SERVICE"), caps["CapInh"]);
        Assert.Equal(Mask("CAP_NET_BIND_SERVICE"), caps["CapPrm"]);
        Assert.Equal(Mask("CAP_NET_BIND_SERVICE"), caps["CapEff"]);
        Assert.Equal(Mask("CAP_CHOWN", "CAP_NET_BIND_SERVICE"), caps["CapBnd"]);
        Assert.Equal(Mask("CAP_NET_BIND_SERVICE"), caps["CapAmb"]);
    }

    [Fact]
    public void Missing_capability_is_enforced()
    {
        using var c = new TestContainer(suite);
        c.Process.Capabilities = new Capabilities { Bounding = ["CAP_KILL"], Permitted = ["CAP_KILL"], Effective = ["CAP_KILL"] };
        c.Shell($"touch /tmp/f; {Try("chown 1000 /tmp/f")}");

        Assert.Contains("Operation not permitted", c.Output());
    }

    [Theory]
    [InlineData(true, "1")]
    [InlineData(false, "0")]
    public void NoNewPrivileges_is_set_as_asked(bool noNewPrivileges, string expected)
    {
        using var c = new TestContainer(suite);
        c.Process.NoNewPrivileges = noNewPrivileges;
        c.Shell("grep ^NoNewPrivs: /proc/self/status");

        Assert.Equal($"NoNewPrivs:\t{expected}", c.Output().TrimEnd());
    }

    [Fact]
    public void Cwd_is_the_working_directory()
    {
        using var c = new TestContainer(suite);
        c.Process.Cwd = "/tmp";
        c.Shell("pwd");

        Assert.Equal("/tmp\n", c.Output());
    }

    [Fact]
    public void Cwd_that_does_not_exist_is_created()
    {
        using var c = new TestContainer(suite);
        c.Process.Cwd = "/work/dir";
        c.Shell("pwd; stat -c %F /work/dir");

        Assert.Equal(["/work/dir", "directory"], Lines(c.Output()));
    }

    [Fact]
    public void Env_is_exactly_the_configured_environment()
    {
        using var c = new TestContainer(suite);
        c.Process.Env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY=", "MULTI=a=b"];
        c.Process.Args = ["/usr/bin/env"];

        var result = c.Run(new CliOptions { Environment = new Dictionary<string, string> { ["SKT_HOST_ONLY"] = "leaked" } });
        result.AssertSuccess();
        var vars = Lines(result.Stdout);

        Assert.Contains("FOO=bar baz", vars);
        Assert.Contains("EMPTY=", vars);
        Assert.Contains("MULTI=a=b", vars);
        Assert.Contains("PATH=/bin:/usr/bin", vars);
        Assert.DoesNotContain(vars, v => v.StartsWith("SKT_"));
        // Only what was configured, plus HOME, which runtimes add from /etc/passwd when it is absent.
        Assert.All(vars, v => Assert.Contains(v.Split('=')[0], new[] { "PATH", "FOO", "EMPTY", "MULTI", "HOME" }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(255)]
    public void Run_exits_with_the_process_exit_code(int code)
    {
        using var c = new TestContainer(suite);
        c.Shell($"exit {code}");

        var result = c.Run();

        Assert.True(code == result.ExitCode, result.ToString());
    }

    [Fact]
    public void Run_exits_128_plus_signal_when_the_process_is_killed_by_a_signal()
    {
        using var c = new TestContainer(suite);
        // Outside a PID namespace sh is not an init, so it can signal itself to death.
        c.Linux.Namespaces!.RemoveAll(n => n.Type == "pid");
        c.Shell("kill -TERM $$; sleep 5");

        var result = c.Run();

        Assert.True(result.ExitCode == 128 + 15, result.ToString());
    }

    [Fact]
    public void Run_exits_137_when_the_container_is_killed_with_SIGKILL()
    {
        using var c = new TestContainer(suite);
        c.Share().Shell($"echo up > {TestContainer.ShareMountPoint}/ready; exec sleep 600");
        c.WriteConfig();

        using var run = c.Cli.Start(new CliOptions(), "run", "--bundle", c.BundleDir, c.Id);
        Wait.ForFile(c.SharedFile("ready"));
        c.Kill("KILL").AssertSuccess();
        var result = run.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 128 + 9, result.ToString());
    }

    [Fact]
    public void Stdio_is_passed_through_untouched()
    {
        using var c = new TestContainer(suite);
        var input = Path.Combine(c.Dir, "stdin.txt");
        File.WriteAllText(input, "line one\nline two\n");
        c.Shell("while read -r l; do echo \"out:$l\"; echo \"err:$l\" >&2; done");

        var result = c.Run(new CliOptions { StdinPath = input });
        result.AssertSuccess();

        Assert.Equal("out:line one\nout:line two\n", result.Stdout);
        Assert.Equal("err:line one\nerr:line two\n", result.Stderr);
    }

    [Fact]
    public void No_host_file_descriptor_leaks_into_the_container()
    {
        using var c = new TestContainer(suite);
        c.Shell("ls /proc/self/fd");

        // 0, 1, 2, and the fd ls opened to read the directory.
        Assert.Equal(["0", "1", "2", "3"], Lines(c.Output()));
    }

    [Fact]
    public void Preserve_fds_passes_extra_descriptors_through()
    {
        using var c = new TestContainer(suite);
        var file = Path.Combine(c.Dir, "fd3.txt");
        File.WriteAllText(file, "through fd 3\n");
        c.Shell("cat <&3; ls /proc/self/fd | wc -l");
        c.WriteConfig();

        var result = c.Cli.Invoke(new CliOptions { Fd3Path = file }, "run", "--preserve-fds", "1", "--bundle", c.BundleDir, c.Id);

        result.AssertSuccess();
        // 0, 1, 2, the preserved 3, and the fd ls opened to read the directory.
        Assert.Equal(["through fd 3", "5"], Lines(result.Stdout).Select(l => l.Trim()));
    }

    [Fact]
    public void Fds_above_stdio_are_not_passed_without_preserve_fds()
    {
        using var c = new TestContainer(suite);
        var file = Path.Combine(c.Dir, "fd3.txt");
        File.WriteAllText(file, "secret\n");
        c.Shell("ls /proc/self/fd");

        var result = c.Run(new CliOptions { Fd3Path = file });

        result.AssertSuccess();
        Assert.Equal(["0", "1", "2", "3"], Lines(result.Stdout)); // 3 is ls's own directory fd
    }

    [Fact]
    public void OomScoreAdj_is_applied()
    {
        using var c = new TestContainer(suite);
        c.Process.OomScoreAdj = 123;
        c.Shell("cat /proc/self/oom_score_adj");

        Assert.Equal("123\n", c.Output());
    }

    /// <summary>
    /// A shell snippet that prints "ok" if COMMAND succeeds, else "failed: " and its error on one line
    /// (the group catches errors of builtins and redirections too).
    /// </summary>
    internal static string Try(string command) =>
        $"{{ out=$( {{ {command}; }} 2>&1 ) && echo ok || echo \"failed: $out\"; }}";

    internal static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string[] Fields(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static readonly Dictionary<string, int> CapabilityNumbers = new()
    {
        ["CAP_CHOWN"] = 0, ["CAP_KILL"] = 5, ["CAP_NET_BIND_SERVICE"] = 10, ["CAP_SYS_ADMIN"] = 21, ["CAP_AUDIT_WRITE"] = 29,
    };

    private static string Mask(params string[] names) =>
        names.Aggregate(0UL, (m, n) => m | 1UL << CapabilityNumbers[n]).ToString("x16");

    private static Dictionary<string, string> CapabilityMasks(string status) =>
        Lines(status).Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
}
