namespace Skiff.Cgroups.Devices;

/// <summary>
/// Compiles a device state into an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, the only way
/// cgroup v2 controls device access. The program reads the request (type, access, major, minor) from
/// its context, tries each exception in turn and returns 1 (allow) or 0 (deny), with the kernel's v1
/// matching rules: in deny-by-default mode an exception must grant every requested access bit; in
/// allow-by-default mode an exception denies a request sharing any access bit with it.
/// </summary>
internal static class DeviceFilterProgram
{
    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }; access_type = access << 16 | type.
    private const short AccessTypeOffset = 0, MajorOffset = 4, MinorOffset = 8;
    private const int BlockDevice = 1, CharDevice = 2;
    private const int AccessMknod = 1, AccessRead = 2, AccessWrite = 4;

    // Registers: r2 device type, r3 requested access, r4 major, r5 minor, r1 scratch, r0 verdict.
    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

    // Opcodes (class | operation | source).
    private const byte LoadWord = 0x61;      // BPF_LDX | BPF_MEM | BPF_W
    private const byte And32Imm = 0x54;      // BPF_ALU | BPF_AND | BPF_K
    private const byte Rsh32Imm = 0x74;      // BPF_ALU | BPF_RSH | BPF_K
    private const byte Mov32Reg = 0xbc;      // BPF_ALU | BPF_MOV | BPF_X
    private const byte Mov64Imm = 0xb7;      // BPF_ALU64 | BPF_MOV | BPF_K
    private const byte JumpNotEqual = 0x55;  // BPF_JMP | BPF_JNE | BPF_K
    private const byte JumpEqual = 0x15;     // BPF_JMP | BPF_JEQ | BPF_K
    private const byte Exit = 0x95;          // BPF_JMP | BPF_EXIT

    public static ulong[] Compile(DeviceState state)
    {
        var program = new List<ulong>
        {
            Instruction(LoadWord, R2, R1, AccessTypeOffset, 0),
            Instruction(And32Imm, R2, 0, 0, 0xffff),
            Instruction(LoadWord, R3, R1, AccessTypeOffset, 0),
            Instruction(Rsh32Imm, R3, 0, 0, 16),
            Instruction(LoadWord, R4, R1, MajorOffset, 0),
            Instruction(LoadWord, R5, R1, MinorOffset, 0),
        };
        foreach (var ((type, major, minor), access) in state.Exceptions)
            program.AddRange(Block(type, major, minor, Access(access), state.DefaultAllow));
        program.Add(Instruction(Mov64Imm, R0, 0, 0, state.DefaultAllow ? 1 : 0));
        program.Add(Instruction(Exit, 0, 0, 0, 0));
        return [.. program];
    }

    /// <summary>One exception: every test that fails jumps past the block to the next one.</summary>
    private static List<ulong> Block(char type, long major, long minor, int access, bool defaultAllow)
    {
        // Tests as (register or scratch, value, jump when it does not match).
        var tests = new List<(byte Op, byte Register, int Value)>();
        tests.Add((JumpNotEqual, R2, type == 'b' ? BlockDevice : CharDevice));
        if (major != DeviceRule.Wildcard) tests.Add((JumpNotEqual, R4, (int)major));
        if (minor != DeviceRule.Wildcard) tests.Add((JumpNotEqual, R5, (int)minor));
        int length = tests.Count + 5; // + scratch copy, mask, access test, verdict, exit
        var block = new List<ulong>(length);
        foreach (var (op, register, value) in tests)
            block.Add(Instruction(op, register, 0, (short)(length - block.Count - 1), value));
        block.Add(Instruction(Mov32Reg, R1, R3, 0, 0));
        if (defaultAllow)
        {
            // Denied when the request shares an access bit with the exception.
            block.Add(Instruction(And32Imm, R1, 0, 0, access));
            block.Add(Instruction(JumpEqual, R1, 0, (short)(length - block.Count - 1), 0));
        }
        else
        {
            // Allowed when the request asks for nothing beyond the exception's bits.
            block.Add(Instruction(And32Imm, R1, 0, 0, ~access & 0x7));
            block.Add(Instruction(JumpNotEqual, R1, 0, (short)(length - block.Count - 1), 0));
        }
        block.Add(Instruction(Mov64Imm, R0, 0, 0, defaultAllow ? 0 : 1));
        block.Add(Instruction(Exit, 0, 0, 0, 0));
        return block;
    }

    private static int Access(DeviceAccess access) =>
        (access.HasFlag(DeviceAccess.Mknod) ? AccessMknod : 0)
        | (access.HasFlag(DeviceAccess.Read) ? AccessRead : 0)
        | (access.HasFlag(DeviceAccess.Write) ? AccessWrite : 0);

    /// <summary>struct bpf_insn: opcode, dst and src registers in one byte (dst low), 16-bit offset, 32-bit immediate.</summary>
    internal static ulong Instruction(byte opcode, byte dst, byte src, short offset, int immediate) =>
        opcode | (ulong)(byte)(dst | (src << 4)) << 8 | (ulong)(ushort)offset << 16 | (ulong)(uint)immediate << 32;
}
