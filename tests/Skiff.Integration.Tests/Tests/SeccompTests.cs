using System.Text.Json;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;
using DockerSeccomp;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// linux.seccomp as engines hand it over: Docker's default profile must confine a container as it
/// does under runc, each action must do what it says, and an exec'd process gets the same filter.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class SeccompTests(Suite suite)
{
    private const string Runc = "/usr/sbin/runc";

    /// <summary>
    /// Calls Docker's profile decides on: a user namespace (refused without CAP_SYS_ADMIN though no
    /// capability is needed for it), mount, the 32-bit personality it allows, and plain work.
    /// </summary>
    private static readonly string Probe = string.Join("; ",
        "grep -E '^Seccomp(_filters)?:' /proc/self/status",
        ProcessTests.Try("unshare -U true"),
        ProcessTests.Try("unshare -m true"),
        ProcessTests.Try("mount -t tmpfs none /mnt"),
        ProcessTests.Try("linux32 uname -m"),
        ProcessTests.Try("mkdir /tmp/d && rmdir /tmp/d"),
        ProcessTests.Try("nsenter -t 1 -m true"));

    private static void UseDockerDefault(TestContainer c)
    {
        c.Process.Capabilities = new Capabilities
        {
            Bounding = [.. DockerProfile.DefaultCapabilities], Effective = [.. DockerProfile.DefaultCapabilities],
            Permitted = [.. DockerProfile.DefaultCapabilities],
        };
        c.Linux.Seccomp = DockerProfile.LoadDefault();
    }

    [Fact]
    public void Dockers_default_profile_confines_a_container_as_it_does_under_runc()
    {
        using var c = new TestContainer(suite);
        UseDockerDefault(c);
        c.Shell(Probe);
        string underTest = c.Output();

        var lines = ProcessTests.Lines(underTest);
        Assert.Equal("Seccomp:\t2", lines[0]);
        Assert.Equal("Seccomp_filters:\t1", lines[1]);
        Assert.StartsWith("failed:", lines[2]); // unshare -U: allowed by the kernel, refused by the profile
        Assert.Equal("ok", lines[6]);

        // The same bundle under Debian's runc prints the same lines.
        c.Linux.CgroupsPath = c.CgroupsPath + "/runc";
        c.WriteConfig();
        string runcRoot = Path.Combine(c.Dir, "runc-state");
        string underRunc = HostCommand.Run(Runc, "--root", runcRoot, "run", "--bundle", c.BundleDir, c.Id + "-runc");
        Assert.Equal(underRunc, underTest);
    }

    [Fact]
    public void Without_the_profile_the_same_calls_go_through()
    {
        using var c = new TestContainer(suite);
        c.Shell(ProcessTests.Try("unshare -U true"));
        Assert.Equal("ok\n", c.Output());
    }

    [Fact]
    public void A_denied_call_returns_the_configured_errno()
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 95 }],
        };
        c.Shell(ProcessTests.Try("mkdir /tmp/d"));
        Assert.Contains("Operation not supported", c.Output());
    }

    [Fact]
    public void Default_errno_applies_to_calls_no_rule_allows()
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ERRNO", DefaultErrnoRet = 38,
            Syscalls = [new SeccompSyscall { Names = [.. AllowedForBusyboxShell], Action = "SCMP_ACT_ALLOW" }],
        };
        c.Shell(ProcessTests.Try("mkdir /tmp/d"));
        Assert.Contains("Function not implemented", c.Output());
    }

    [Theory]
    [InlineData("SCMP_ACT_KILL_PROCESS")]
    [InlineData("SCMP_ACT_KILL")]
    [InlineData("SCMP_ACT_TRAP")]
    public void Kill_actions_end_the_calling_process_with_SIGSYS(string action)
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = action }],
        };
        c.Shell("mkdir /tmp/d; echo status=$?; test -d /tmp/d && echo made || echo not-made");
        // 128 + SIGSYS (31): the shell lives on, its mkdir child died of the signal.
        Assert.Equal("status=159\nnot-made\n", c.Output());
    }

    [Fact]
    public void An_exec_gets_the_containers_filter()
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 95 }],
        };
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        var result = c.Cli.Invoke("exec", c.Id, "sh", "-c", "grep ^Seccomp: /proc/self/status; " + ProcessTests.Try("mkdir /tmp/d")).AssertSuccess();
        var lines = ProcessTests.Lines(result.Stdout);
        Assert.Equal("Seccomp:\t2", lines[0]);
        Assert.Contains("Operation not supported", lines[1]);
    }

    /// <summary>
    /// A default-deny allowlist sized for the workload runs: the runtime calls nothing after the
    /// filter but execve. Without no_new_privs the filter needs CAP_SYS_ADMIN, so the capset that
    /// gives it up is the one call the profile must also allow (runc needs far more there).
    /// </summary>
    [SkiffOnlyFact(RuncCallsAfterTheFilter)]
    public void A_minimal_default_deny_allowlist_runs_the_container_and_an_exec() => RunUnderMinimalProfile(noNewPrivileges: true);

    [SkiffOnlyFact(RuncCallsAfterTheFilter)]
    public void A_minimal_default_deny_allowlist_runs_without_no_new_privs() => RunUnderMinimalProfile(noNewPrivileges: false);

    private const string RuncCallsAfterTheFilter = "runc 1.1.5 still calls fstatfs, fcntl and more after loading the filter";

    private void RunUnderMinimalProfile(bool noNewPrivileges)
    {
        using var c = new TestContainer(suite);
        c.Process.NoNewPrivileges = noNewPrivileges;
        c.Linux.Seccomp = noNewPrivileges ? MinimalProfile.Create() : MinimalProfile.Create("capset");
        c.Shell("echo ran");
        Assert.Equal("ran\n", c.Output());

        using var e = new TestContainer(suite);
        e.Process.NoNewPrivileges = noNewPrivileges;
        e.Linux.Seccomp = noNewPrivileges ? MinimalProfile.Create("nanosleep", "clock_nanosleep") : MinimalProfile.Create("nanosleep", "clock_nanosleep", "capset");
        e.Shell("sleep 600");
        e.Create().AssertSuccess();
        e.Start().AssertSuccess();
        var exec = e.Cli.Invoke("exec", e.Id, "sh", "-c", "echo exec ran").AssertSuccess();
        Assert.Equal("exec ran\n", exec.Stdout);
    }

    /// <summary>
    /// Each kind of container the runtime builds differently (its own path through the child's
    /// steps) once under the minimal default-deny profile: a runtime call placed after the filter
    /// in any of them fails here.
    /// </summary>
    [SkiffOnlyTheory(RuncCallsAfterTheFilter)]
    [InlineData("no_new_privs")]
    [InlineData("no no_new_privs")]
    [InlineData("non-root user without no_new_privs")]
    [InlineData("user namespace")]
    [InlineData("time namespace (forked init)")]
    [InlineData("startContainer hook")]
    [InlineData("create then start")]
    public void Every_kind_of_container_runs_under_the_minimal_profile(string kind)
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = MinimalProfile.Create();
        switch (kind)
        {
            case "no no_new_privs":
                c.Process.NoNewPrivileges = false;
                c.Linux.Seccomp = MinimalProfile.Create("capset");
                break;
            case "non-root user without no_new_privs":
                c.Process.NoNewPrivileges = false;
                c.Process.User = new User { Uid = 1000, Gid = 1000, AdditionalGids = [1001] };
                c.Linux.Seccomp = MinimalProfile.Create("capset");
                break;
            case "user namespace":
                c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "user" });
                c.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
                c.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 200000, Size = 65536 }];
                break;
            case "time namespace (forked init)":
                c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "time" });
                break;
            case "startContainer hook":
                c.Spec.Hooks = new Hooks { StartContainer = [new Hook { Path = "/bin/true", Args = ["true"] }] };
                break;
        }
        c.Shell("echo ran");

        if (kind == "create then start")
        {
            // The shell's own redirection needs fcntl and dup2: the workload's calls, not the runtime's.
            c.Linux.Seccomp = MinimalProfile.Create("fcntl", "dup2");
            c.Share().Shell($"echo ran > {TestContainer.ShareMountPoint}/out");
            c.Create().AssertSuccess();
            c.Start().AssertSuccess();
            string output = c.SharedFile("out");
            // The shell creates the file before it writes the line: wait for the line, not only the file.
            Wait.Until(() => File.Exists(output) && File.ReadAllText(output).EndsWith('\n'), $"a line in {output}");
            Assert.Equal("ran\n", File.ReadAllText(output));
            return;
        }
        Assert.Equal("ran\n", c.Output());
    }

    /// <summary>Positive control for the tests above: the profile really denies what it leaves out.</summary>
    [SkiffOnlyFact(RuncCallsAfterTheFilter)]
    public void The_minimal_profile_denies_what_it_does_not_list()
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = MinimalProfile.Create();
        c.Shell("echo started; mkdir /tmp/d");
        CliResult result = c.Run();
        Assert.Equal("started\n", result.Stdout);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("mkdir: can't create directory '/tmp/d': Operation not permitted", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(c.Rootfs, "tmp", "d")));
    }

    /// <summary>
    /// What busybox sh needs to start and run mkdir, so a default-deny profile can be tested, plus
    /// what runc still calls after it loads the filter (fstatfs, close_range).
    /// </summary>
    private static readonly string[] AllowedForBusyboxShell =
    [
        "execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "mprotect", "mmap", "munmap",
        "getuid", "geteuid", "getgid", "getegid", "getpid", "getppid", "getcwd", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
        "fork", "vfork", "clone", "clone3", "wait4", "exit", "exit_group", "read", "write", "writev", "close", "dup2", "dup3",
        "fcntl", "ioctl", "newfstatat", "fstat", "stat", "lstat", "openat", "open", "uname", "pipe", "pipe2", "readlink",
        "getrandom", "sysinfo", "statx", "access", "faccessat", "faccessat2", "chdir", "umask", "getpgrp", "setpgid", "futex",
        "madvise", "poll", "ppoll", "lseek", "fstatfs", "statfs", "close_range", "getdents64",
    ];
}
