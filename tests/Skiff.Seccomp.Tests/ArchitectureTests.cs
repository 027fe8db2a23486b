namespace Skiff.Seccomp.Tests;

/// <summary>seccomp_data.arch is checked first, and each ABI's calls are judged by its own numbers.</summary>
public class ArchitectureTests
{
    // mkdir is 83 on x86-64, 39 on i386 and 0x40000000 + 83 on x32; 39 is getpid on x86-64.
    const string MkdirDenied = """
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
        """;

    [Fact]
    public void A_call_from_an_architecture_the_filter_lacks_is_killed_as_libseccomp_does()
    {
        var program = Profiles.Compile($$"""{{{MkdirDenied}}}""");
        Assert.Equal(Ret.Errno(13), program.Run(SeccompData.X64(83)));
        Assert.Equal(Ret.KillThread, program.Run(SeccompData.Ia32(20)));
        Assert.Equal(Ret.KillThread, program.Run(new SeccompData(83, 0xc00000b7)));   // aarch64
        Assert.Equal(Ret.KillThread, program.Run(new SeccompData(83, 0)));
    }

    [Fact]
    public void Without_x32_in_the_filter_an_x32_call_is_killed_even_where_x86_64_allows_its_number()
    {
        var program = Profiles.Compile($$"""{{{MkdirDenied}}}""");
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(0)));
        Assert.Equal(Ret.KillThread, program.Run(SeccompData.X32(0)));
        Assert.Equal(Ret.KillThread, program.Run(SeccompData.X32(83)));
        Assert.Equal(Ret.KillThread, program.Run(SeccompData.X64(0x80000000)));
        // -1 is what a tracer writes to skip a call: libseccomp lets it reach the default.
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(uint.MaxValue)));
    }

    [Fact]
    public void With_x32_listed_x32_calls_are_judged_by_x32_numbers_only()
    {
        var program = Profiles.Compile($$"""{"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"], {{MkdirDenied}}}""");
        Assert.Equal(Ret.Errno(13), program.Run(SeccompData.X32(83)));
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X32(0)));
        Assert.Equal(Ret.Errno(13), program.Run(SeccompData.X64(83)));
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(0x40000000 - 1)));
    }

    [Fact]
    public void An_x86_64_rule_never_applies_to_the_x32_number_with_the_same_low_bits()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
             "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}
            """);
        var x86only = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
             "syscalls": [{"names": ["ioctl"], "action": "SCMP_ACT_ALLOW"}]}
            """);
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(39)));
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X32(39)));
        // x32 ioctl is 514 in the x32 table; x86-64's 16 with the x32 bit is no x32 call.
        Assert.Equal(Ret.KillThread, x86only.Run(SeccompData.X32(16)));
        Assert.Equal(Ret.Allow, x86only.Run(SeccompData.X64(16)));
    }

    [Fact]
    public void I386_calls_are_matched_against_i386_numbers_never_x86_64_ones()
    {
        var program = Profiles.Compile($$"""{"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], {{MkdirDenied}}}""");
        Assert.Equal(Ret.Errno(13), program.Run(SeccompData.Ia32(39)));     // i386 mkdir
        Assert.Equal(Ret.Allow, program.Run(SeccompData.Ia32(83)));         // i386 symlink, x86-64's mkdir number
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(39)));          // x86-64 getpid, i386's mkdir number
        Assert.Equal(Ret.Errno(13), program.Run(SeccompData.X64(83)));

        var allowList = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}]}
            """);
        Assert.Equal(Ret.Allow, allowList.Run(SeccompData.Ia32(39)));
        Assert.Equal(Ret.KillProcess, allowList.Run(SeccompData.Ia32(20)));
        Assert.Equal(Ret.Errno(38), allowList.Run(SeccompData.Ia32(83)));   // above i386's mkdir: runc's ENOSYS
        Assert.Equal(Ret.KillProcess, allowList.Run(SeccompData.X64(39)));
    }

    [Fact]
    public void I386_socket_and_ipc_rules_also_hold_through_socketcall_and_ipc()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [{"names": ["socket", "shmget"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97}]}
            """);
        const uint socketcall = 102, ipc = 117, socket386 = 359, shmget386 = 395;
        Assert.Equal(Ret.Errno(97), program.Run(SeccompData.Ia32(socket386, 40)));
        Assert.Equal(Ret.Errno(97), program.Run(SeccompData.Ia32(socketcall, 1)));       // SYS_SOCKET
        Assert.Equal(Ret.Allow, program.Run(SeccompData.Ia32(socketcall, 2)));           // SYS_BIND
        Assert.Equal(Ret.Errno(97), program.Run(SeccompData.Ia32(shmget386)));
        Assert.Equal(Ret.Errno(97), program.Run(SeccompData.Ia32(ipc, 23)));             // SHMGET
        Assert.Equal(Ret.Errno(97), program.Run(SeccompData.Ia32(ipc, 0x10017)));        // version 1, still SHMGET
        Assert.Equal(Ret.Allow, program.Run(SeccompData.Ia32(ipc, 21)));                 // SHMAT
        Assert.Equal(Ret.Errno(97), program.Run(SeccompData.X64(41)));
    }

    [Fact]
    public void Architectures_of_other_machines_are_accepted_and_cover_nothing_here()
    {
        var program = Profiles.Compile($$"""{"architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], {{MkdirDenied}}}""");
        Assert.Equal(Ret.Errno(13), program.Run(SeccompData.X64(83)));
        Assert.Equal(Ret.KillThread, program.Run(new SeccompData(83, 0xc00000b7)));
    }
}
