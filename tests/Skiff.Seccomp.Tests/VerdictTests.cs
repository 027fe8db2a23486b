namespace Skiff.Seccomp.Tests;

/// <summary>Compiled programs run in the test interpreter: each action, errno values and rule merging.</summary>
public class VerdictTests
{
    // x86-64 numbers used below.
    const uint Read = 0, Write = 1, Getpid = 39, Mkdir = 83, Personality = 135, Kexec = 246;

    [Theory]
    [InlineData("SCMP_ACT_ALLOW", Ret.Allow)]
    [InlineData("SCMP_ACT_KILL", Ret.KillThread)]
    [InlineData("SCMP_ACT_KILL_THREAD", Ret.KillThread)]
    [InlineData("SCMP_ACT_KILL_PROCESS", Ret.KillProcess)]
    [InlineData("SCMP_ACT_TRAP", 0x00030000u)]
    [InlineData("SCMP_ACT_ERRNO", 0x00050001u)]
    [InlineData("SCMP_ACT_TRACE", 0x7ff00001u)]
    [InlineData("SCMP_ACT_LOG", Ret.Log)]
    public void Every_action_is_the_kernels_value(string action, uint expected)
    {
        var asDefault = Profiles.Compile($$"""{"defaultAction": "{{action}}"}""");
        Assert.Equal(expected, asDefault.Run(SeccompData.X64(Getpid)));

        string other = action == "SCMP_ACT_ALLOW" ? "SCMP_ACT_LOG" : "SCMP_ACT_ALLOW";
        var asRule = Profiles.Compile($$"""{"defaultAction": "{{other}}", "syscalls": [{"names": ["getpid"], "action": "{{action}}"}]}""");
        Assert.Equal(expected, asRule.Run(SeccompData.X64(Getpid)));
        Assert.Equal(action == "SCMP_ACT_ALLOW" ? Ret.Log : Ret.Allow, asRule.Run(SeccompData.X64(Read)));
    }

    [Fact]
    public void Notify_answers_user_notif_and_asks_for_a_listener()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock",
             "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}
            """);
        Assert.Equal(Ret.Notify, program.Run(SeccompData.X64(Mkdir)));
        Assert.True(program.UsesNotify);
        Assert.Equal(SeccompFilterFlags.NewListener | SeccompFilterFlags.SpecAllow, program.Flags);
    }

    [Fact]
    public void Errno_values_come_from_errnoRet_and_defaultErrnoRet()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
             "syscalls": [
               {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
               {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
               {"names": ["getpid"], "action": "SCMP_ACT_ERRNO"},
               {"names": ["kexec_load"], "action": "SCMP_ACT_TRACE", "errnoRet": 700}]}
            """);
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(Read)));
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(Write)));
        Assert.Equal(Ret.Errno(13), program.Run(SeccompData.X64(Mkdir)));
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(Getpid)));
        Assert.Equal(Ret.Trace(700), program.Run(SeccompData.X64(Kexec)));
        Assert.Equal(Ret.Errno(38), program.Run(SeccompData.X64(Personality)));
    }

    [Fact]
    public void Multiple_entries_for_one_call_are_ORed_and_arguments_in_one_entry_ANDed()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ERRNO",
             "syscalls": [
               {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
               {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
               {"names": ["personality"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 0, "value": 9, "op": "SCMP_CMP_EQ"}]},
               {"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "args": [
                  {"index": 0, "value": 16, "op": "SCMP_CMP_GE"}, {"index": 1, "value": 448, "op": "SCMP_CMP_LE"}]}]}
            """);
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(Personality, 0)));
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(Personality, 8)));
        Assert.Equal(Ret.KillProcess, program.Run(SeccompData.X64(Personality, 9)));
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(Personality, 1)));
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(Personality, 0x1_0000_0008)));

        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(Mkdir, 16, 448)));
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(Mkdir, 15, 448)));
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(Mkdir, 16, 449)));
    }

    [Fact]
    public void Two_conditions_on_one_argument_in_one_entry_are_ORed_as_runc_reads_them()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [
               {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}
            """);
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(Personality, 1)));
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(Personality, 2)));
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(Personality, 3)));
    }

    [Fact]
    public void An_unconditional_rule_overrides_conditional_ones_for_the_same_call_whatever_the_order()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [
               {"names": ["personality"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
               {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5},
               {"names": ["personality"], "action": "SCMP_ACT_LOG"}]}
            """);
        Assert.Equal(Ret.Errno(5), program.Run(SeccompData.X64(Personality, 1)));
        Assert.Equal(Ret.Errno(5), program.Run(SeccompData.X64(Personality, 2)));
    }

    [Fact]
    public void A_rule_repeating_the_default_action_is_dropped_as_runc_drops_it()
    {
        var program = Profiles.Compile("""
            {"defaultAction": "SCMP_ACT_ERRNO",
             "syscalls": [
               {"names": ["personality"], "action": "SCMP_ACT_ERRNO"},
               {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
            """);
        Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(Personality, 8)));
        Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(Personality, 0)));
    }

    [Fact]
    public void Calls_newer_than_the_profile_get_ENOSYS_unless_the_default_lets_calls_through()
    {
        const string rules = """
            "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}]
            """;
        var strict = Profiles.Compile($$"""{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"], {{rules}}}""");
        Assert.Equal(Ret.Errno(1), strict.Run(SeccompData.X64(Getpid)));       // below mkdir: EPERM
        Assert.Equal(Ret.Errno(38), strict.Run(SeccompData.X64(Mkdir + 1)));  // above it: ENOSYS
        Assert.Equal(Ret.Errno(38), strict.Run(SeccompData.X64(0x3fffffff)));
        Assert.Equal(Ret.Allow, strict.Run(SeccompData.Ia32(39)));            // i386 mkdir
        Assert.Equal(Ret.Errno(1), strict.Run(SeccompData.Ia32(20)));         // i386 getpid, below
        Assert.Equal(Ret.Errno(38), strict.Run(SeccompData.Ia32(40)));
        Assert.Equal(Ret.Errno(38), strict.Run(SeccompData.Ia32(uint.MaxValue)));
        Assert.Equal(Ret.Allow, strict.Run(SeccompData.X32(Mkdir)));
        Assert.Equal(Ret.Errno(1), strict.Run(SeccompData.X32(Getpid)));
        Assert.Equal(Ret.Errno(38), strict.Run(SeccompData.X32(Mkdir + 1)));

        var kill = Profiles.Compile($$"""{"defaultAction": "SCMP_ACT_KILL_PROCESS", {{rules}}}""");
        Assert.Equal(Ret.Errno(38), kill.Run(SeccompData.X64(400)));
        Assert.Equal(Ret.KillProcess, kill.Run(SeccompData.X64(Getpid)));

        foreach (string lenient in new[] { "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE" })
        {
            var program = Profiles.Compile($$"""{"defaultAction": "{{lenient}}", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL"}]}""");
            Assert.Equal(program.Run(SeccompData.X64(Getpid)), program.Run(SeccompData.X64(400)));
        }
    }

    [Fact]
    public void A_program_longer_than_a_conditional_jump_reaches_decides_every_call()
    {
        // 300 calls, each allowed only for one argument value, spread the code over thousands of
        // instructions: the search's early branches need trampolines to reach their far halves.
        var names = Enumerable.Range(0, 330).Select(n => (Name: TableName(n), Nr: (uint)n)).Where(p => p.Name is not null).Take(300).ToList();
        var spec = new Oci.Runtime.Seccomp
        {
            DefaultAction = "SCMP_ACT_ERRNO",
            Syscalls = names.Select(p => new Oci.Runtime.SeccompSyscall
            {
                Names = [p.Name!],
                Action = "SCMP_ACT_ALLOW",
                Args = [new Oci.Runtime.SeccompArg { Index = 1, Value = p.Nr + 1000, Op = "SCMP_CMP_EQ" }],
            }).ToList(),
        };
        var program = Profiles.Compile(spec);
        Assert.True(program.InstructionCount > 2000, $"only {program.InstructionCount} instructions");
        foreach (var (_, nr) in names)
        {
            Assert.Equal(Ret.Allow, program.Run(SeccompData.X64(nr, 0, nr + 1000)));
            Assert.Equal(Ret.Errno(1), program.Run(SeccompData.X64(nr, 0, nr + 1001)));
        }
    }

    static string? TableName(int nr) => UnistdHeader.X86_64.FirstOrDefault(p => p.Value == nr).Key;
}
