namespace Skiff.Seccomp.Tests;

/// <summary>Flags, skipped names and the one-line errors for sections runc or the kernel would refuse.</summary>
public class CompilerTests
{
    [Theory]
    [InlineData("""{"defaultAction": "SCMP_ACT_NOPE"}""", "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"")]
    [InlineData("""{"defaultAction": ""}""", "linux.seccomp.defaultAction: no action given")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000}""", "linux.seccomp.defaultAction: errno 70000 does not fit the 16 bits a seccomp verdict carries")]
    [InlineData("""{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/x"}""", "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_VAX"]}""", "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"]}""", "linux.seccomp.flags: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}""", "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY rule (the kernel refuses it without a listener)")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL"}, {"names": ["mkdir"], "action": "KILL"}]}""", "linux.seccomp.syscalls[1].action: unknown action \"KILL\"")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", ""], "action": "SCMP_ACT_KILL"}]}""", "linux.seccomp.syscalls[0].names[1]: empty system call name")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}""", "linux.seccomp.syscalls[0].args[0].index: 6 is beyond the 6 arguments a system call has")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_SIMILAR"}]}]}""", "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_SIMILAR\"")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536}]}""", "linux.seccomp.syscalls[0].action: errno 65536 does not fit the 16 bits a seccomp verdict carries")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}""", "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY rules need a listener socket to send the notify fd to")]
    public void Bad_sections_fail_with_one_line_naming_the_field(string json, string message)
    {
        var error = Assert.Throws<SeccompException>(() => SeccompCompiler.Compile(Profiles.Parse(json)));
        Assert.Equal(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData(null, SeccompFilterFlags.SpecAllow)]   // runc's choice when the spec says nothing
    [InlineData("", 0u)]
    [InlineData("\"SECCOMP_FILTER_FLAG_LOG\"", SeccompFilterFlags.Log)]
    [InlineData("\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", \"SECCOMP_FILTER_FLAG_LOG\"", SeccompFilterFlags.SpecAllow | SeccompFilterFlags.Log)]
    [InlineData("\"SECCOMP_FILTER_FLAG_TSYNC\"", 0u)]
    public void Flags_become_the_seccomp_bits(string? flags, uint expected)
    {
        string field = flags is null ? "" : $", \"flags\": [{flags}]";
        var program = Profiles.Compile($$"""{"defaultAction": "SCMP_ACT_ALLOW"{{field}}}""");
        Assert.Equal(expected, program.Flags);
        Assert.False(program.UsesNotify);
    }

    [Fact]
    public void Wait_killable_recv_comes_with_the_new_listener_bit()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
             "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}
            """);
        Assert.Equal(SeccompFilterFlags.WaitKillableRecv | SeccompFilterFlags.NewListener, program.Flags);
        Assert.Equal(0x28u, program.Flags);
    }

    [Fact]
    public void Names_no_architecture_knows_are_skipped_and_listed_once()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [
               {"names": ["read", "futex_of_tomorrow", "arm_fadvise64_64", "_llseek", "send"], "action": "SCMP_ACT_ALLOW"},
               {"names": ["futex_of_tomorrow"], "action": "SCMP_ACT_KILL"}]}
            """);
        // _llseek exists on i386 only, send only through i386's socketcall: both are known.
        Assert.Equal(["futex_of_tomorrow", "arm_fadvise64_64"], program.SkippedSyscalls);
        Assert.Equal(Ret.Allow, program.Run(SeccompData.Ia32(140)));        // i386 _llseek
        Assert.Equal(Ret.Allow, program.Run(SeccompData.Ia32(102, 9)));     // socketcall(SYS_SEND)
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.Ia32(102, 10))); // socketcall(SYS_RECV)

        var x86only = Profiles.Compile("""{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["_llseek", "read"], "action": "SCMP_ACT_ALLOW"}]}""");
        Assert.Equal(["_llseek"], x86only.SkippedSyscalls);
    }

    [Fact]
    public void An_empty_section_means_no_filter()
    {
        Assert.True(SeccompCompiler.IsEmpty(Profiles.Parse("{}")));
        Assert.True(SeccompCompiler.IsEmpty(Profiles.Parse("""{"syscalls": []}""")));
        Assert.False(SeccompCompiler.IsEmpty(Profiles.Parse("""{"defaultAction": "SCMP_ACT_ALLOW"}""")));
    }

    [Fact]
    public void Filter_is_whole_sock_filter_instructions_ending_in_a_return()
    {
        var program = Profiles.Compile("""{"defaultAction": "SCMP_ACT_ALLOW"}""");
        Assert.Equal(0, program.Filter.Length % 8);
        Assert.Equal(program.Filter.Length / 8, program.InstructionCount);
        Assert.Equal(0x06, program.Filter[^8]);
    }
}
