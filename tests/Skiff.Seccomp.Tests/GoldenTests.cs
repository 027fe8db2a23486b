using Skiff.Seccomp.Bpf;

namespace Skiff.Seccomp.Tests;

/// <summary>
/// The exact program for a small profile, as disassembly, against a committed expectation. A change
/// in code generation shows here line by line; when it is meant, review the new text and commit it
/// (the failure message says where the new text was written).
/// </summary>
public class GoldenTests
{
    const string SmallProfile = """
        {
          "defaultAction": "SCMP_ACT_ERRNO",
          "defaultErrnoRet": 1,
          "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
          "flags": ["SECCOMP_FILTER_FLAG_LOG"],
          "syscalls": [
            {"names": ["read", "write", "exit_group", "not_a_syscall"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"names": ["kexec_load"], "action": "SCMP_ACT_KILL_PROCESS"}
          ]
        }
        """;

    [Fact]
    public void Small_profile_compiles_to_the_committed_program()
    {
        SeccompProgram program = Profiles.Compile(SmallProfile);
        string actual = $"""
            # flags 0x{program.Flags:x}, {program.InstructionCount} instructions, skipped: {string.Join(", ", program.SkippedSyscalls)}
            {BpfDisassembler.Disassemble(program.Filter)}
            """;
        string expectedPath = Path.Combine(AppContext.BaseDirectory, "Golden", "small-profile.txt");
        string expected = File.ReadAllText(expectedPath);
        if (expected != actual)
        {
            string written = Path.Combine(Path.GetTempPath(), $"skiff-seccomp-small-profile-{Environment.ProcessId}.txt");
            File.WriteAllText(written, actual);
            Assert.Fail($"the program differs from Golden/small-profile.txt; the new program is in {written}");
        }
    }
}
