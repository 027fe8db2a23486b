using DockerSeccomp;
using System.Diagnostics;

namespace Skiff.Seccomp.Tests;

/// <summary>
/// Compiled filters loaded into the real kernel, in a fresh child process (this test assembly run as
/// the probe program, never the test host), with the effect of each call read back.
/// </summary>
public class KernelTests
{
    const string Getpid = "x64:39", Getppid = "x64:110";

    static ProbeRun Probe(SeccompProgram program, params string[] calls)
    {
        string filterFile = Path.Combine(Path.GetTempPath(), $"skiff-seccomp-{Guid.NewGuid():N}.bpf");
        File.WriteAllBytes(filterFile, program.Filter);
        try
        {
            string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
            var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { "exec", typeof(KernelTests).Assembly.Location, "probe", filterFile, program.Flags.ToString() }.Concat(calls))
                start.ArgumentList.Add(arg);
            using var child = Process.Start(start)!;
            Task<string> stdout = child.StandardOutput.ReadToEndAsync();
            Task<string> stderr = child.StandardError.ReadToEndAsync();
            // A safety net against a hung child, not a timing assertion.
            if (!child.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                Assert.Fail($"probe hung; output:\n{stdout.Result}\n{stderr.Result}");
            }
            return new ProbeRun(child.ExitCode, stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries), stderr.Result);
        }
        finally
        {
            File.Delete(filterFile);
        }
    }

    sealed record ProbeRun(int ExitCode, string[] Lines, string Errors)
    {
        public string Result(string call)
        {
            string prefix = call + " => ";
            return Lines.FirstOrDefault(l => l.StartsWith(prefix))?[prefix.Length..]
                ?? throw new Xunit.Sdk.XunitException($"no result for {call} (exit {ExitCode}):\n{string.Join('\n', Lines)}\n{Errors}");
        }

        public override string ToString() => $"exit {ExitCode}:\n{string.Join('\n', Lines)}\n{Errors}";
    }

    [Fact]
    public void Errno_rules_argument_checks_and_the_i386_and_x32_paths_hold_in_the_kernel()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
             "syscalls": [
               {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
               {"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 3, "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_GT"}]}]}
            """);
        var run = Probe(program, Getpid, Getppid, "x64:121:0", "x64:121:0x100000000", "i386:20", "i386:64", "i386:132:0", "x32:110", "x32:39");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("loaded filter", run.Lines);
        Assert.StartsWith("ok ", run.Result(Getpid));
        Assert.Equal("errno 13", run.Result(Getppid));
        Assert.StartsWith("ok ", run.Result("x64:121:0"));                 // getpgid(0)
        Assert.Equal("errno 3", run.Result("x64:121:0x100000000"));        // only the high half differs from 0
        Assert.StartsWith("ok ", run.Result("i386:20"));                   // i386 getpid
        Assert.Equal("errno 13", run.Result("i386:64"));                   // i386 getppid, through int 0x80
        Assert.StartsWith("ok ", run.Result("i386:132:0"));                // i386 getpgid
        Assert.Equal("errno 13", run.Result("x32:110"));                   // x32 getppid: the filter answers first
        Assert.Equal("errno 38", run.Result("x32:39"));                    // allowed, and this kernel has no x32
    }

    [Fact]
    public void A_blocked_call_made_through_int_0x80_is_blocked_too()
    {
        // x86-64 only in the filter: an i386 call is from an architecture the filter does not know.
        var strict = Profiles.Compile("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]}""");
        var run = Probe(strict, Getpid, "i386:64");
        Assert.StartsWith("ok ", run.Result(Getpid));
        Assert.Contains("probe thread killed", run.Lines);
        Assert.DoesNotContain(run.Lines, l => l.StartsWith("i386:64 =>"));
    }

    [Theory]
    [InlineData("SCMP_ACT_KILL_PROCESS")]
    [InlineData("SCMP_ACT_TRAP")]
    public void Kill_process_and_trap_end_the_process_with_SIGSYS(string action)
    {
        var program = Profiles.Compile($$"""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "{{action}}"}]}""");
        var run = Probe(program, Getpid, Getppid, Getpid);
        Assert.True(run.ExitCode == 128 + 31, run.ToString());
        Assert.StartsWith("ok ", run.Result(Getpid));
        Assert.Contains($"call {Getppid}", run.Lines);
        Assert.DoesNotContain(run.Lines, l => l.StartsWith(Getppid + " =>"));
    }

    [Fact]
    public void Kill_thread_ends_only_the_calling_thread()
    {
        var program = Profiles.Compile("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_KILL"}]}""");
        var run = Probe(program, Getpid, Getppid, Getpid);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("probe thread killed", run.Lines);
        Assert.DoesNotContain(run.Lines, l => l.StartsWith(Getppid + " =>"));
    }

    [Fact]
    public void Notify_hands_the_call_to_the_listener_whose_answer_the_caller_gets()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/unused.sock",
             "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}
            """);
        var run = Probe(program, Getpid, Getppid);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("loaded listener", run.Lines);
        Assert.Contains("notified nr=110 arch=0xc000003e", run.Lines);
        Assert.Equal("ok 4242", run.Result(Getppid));
    }

    [Fact]
    public void Dockers_default_profile_loads_and_confines_as_docker_means()
    {
        SeccompProgram program = Profiles.Compile(DockerProfile.LoadDefault());
        string[] calls =
        [
            Getpid,
            "x64:272:0",                 // unshare(0): a no-op when allowed
            "x64:165:0:0:0:0:0",         // mount(NULL, ...)
            "x64:308:-1:0",              // setns(-1, 0)
            "x64:135:0xffffffff",        // personality query
            "x64:135:0x0400000",         // personality(READ_IMPLIES_EXEC)
            "x64:41:40:1:0",             // socket(AF_VSOCK, SOCK_STREAM)
            "x64:41:1:1:0",              // socket(AF_UNIX, SOCK_STREAM)
            "x64:56:0x20200:0:0:0:0",    // clone(CLONE_NEWNS|CLONE_FS): EINVAL if it got through
            "x64:435:0:0",               // clone3(NULL, 0)
            "x64:425:0:0",               // io_uring_setup(0, NULL)
            "i386:20",                   // getpid
            "i386:21:0:0:0",             // mount
            "i386:310:0",                // unshare(0)
            "x32:165",                   // x32 mount
        ];
        var run = Probe(program, calls);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("ok ", run.Result(Getpid));
        Assert.Equal("errno 1", run.Result("x64:272:0"));
        Assert.Equal("errno 1", run.Result("x64:165:0:0:0:0:0"));
        Assert.Equal("errno 1", run.Result("x64:308:-1:0"));
        Assert.StartsWith("ok ", run.Result("x64:135:0xffffffff"));
        Assert.Equal("errno 1", run.Result("x64:135:0x0400000"));
        Assert.Equal("errno 1", run.Result("x64:41:40:1:0"));
        Assert.StartsWith("ok ", run.Result("x64:41:1:1:0"));
        Assert.Equal("errno 1", run.Result("x64:56:0x20200:0:0:0:0"));
        Assert.Equal("errno 38", run.Result("x64:435:0:0"));
        Assert.Equal("errno 1", run.Result("x64:425:0:0"));
        Assert.StartsWith("ok ", run.Result("i386:20"));
        Assert.Equal("errno 1", run.Result("i386:21:0:0:0"));
        Assert.Equal("errno 1", run.Result("i386:310:0"));
        Assert.Equal("errno 1", run.Result("x32:165"));
    }

    [Fact]
    public void A_program_with_far_jumps_loads_and_decides_in_the_kernel()
    {
        // 300 calls each refused with its own errno when its second argument is nr + 1000: thousands of
        // instructions, so the search's early branches take trampolines.
        var rules = Enumerable.Range(0, 330)
            .Select(nr => (Nr: nr, Name: UnistdHeader.X86_64.FirstOrDefault(p => p.Value == nr).Key))
            .Where(p => p.Name is not null).Take(300)
            .Select(p => new Oci.Runtime.SeccompSyscall
            {
                Names = [p.Name!],
                Action = "SCMP_ACT_ERRNO",
                ErrnoRet = (uint)(p.Nr % 100 + 1),
                Args = [new Oci.Runtime.SeccompArg { Index = 1, Value = (ulong)p.Nr + 1000, Op = "SCMP_CMP_EQ" }],
            }).ToList();
        var program = Profiles.Compile(new Oci.Runtime.Seccomp { DefaultAction = "SCMP_ACT_ALLOW", Syscalls = rules });
        Assert.True(program.InstructionCount > 2000, $"only {program.InstructionCount} instructions");
        var run = Probe(program, "x64:121:0:1121", "x64:121:0:0", "x64:39:0:1039", "x64:110:0:1111");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("errno 22", run.Result("x64:121:0:1121"));   // getpgid
        Assert.StartsWith("ok ", run.Result("x64:121:0:0"));
        Assert.Equal("errno 40", run.Result("x64:39:0:1039"));    // getpid
        Assert.StartsWith("ok ", run.Result("x64:110:0:1111"));   // getppid, the wrong argument
    }

    [Fact]
    public void Without_a_filter_the_probe_calls_reach_the_kernel()
    {
        // The control: the same calls with an allow-all filter show the kernel's own answers, so the
        // errnos above come from the filters.
        var program = Profiles.Compile("""{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]}""");
        var run = Probe(program, "x64:56:0x20200:0:0:0:0", "x64:435:0:0", "x64:121:0x100000000", "x32:165", "i386:64", Getppid);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("errno 22", run.Result("x64:56:0x20200:0:0:0:0"));
        Assert.NotEqual("errno 38", run.Result("x64:435:0:0"));
        Assert.StartsWith("ok ", run.Result("x64:121:0x100000000"));
        Assert.Equal("errno 38", run.Result("x32:165"));
        Assert.StartsWith("ok ", run.Result("i386:64"));
        Assert.StartsWith("ok ", run.Result(Getppid));
    }
}
