using System.Buffers.Binary;

namespace Skiff.Seccomp.Bpf;

/// <summary>One <c>struct sock_filter</c>: opcode, the two 8-bit jump offsets and the constant.</summary>
internal readonly record struct BpfInstruction(ushort Code, byte Jt, byte Jf, uint K)
{
    public const int Size = 8;

    // The classic BPF opcodes seccomp accepts that this compiler emits (linux/bpf_common.h).
    public const ushort LoadWordAbsolute = 0x20;  // BPF_LD | BPF_W | BPF_ABS
    public const ushort AndConstant = 0x54;       // BPF_ALU | BPF_AND | BPF_K
    public const ushort JumpAlways = 0x05;        // BPF_JMP | BPF_JA
    public const ushort JumpIfEqual = 0x15;       // BPF_JMP | BPF_JEQ | BPF_K
    public const ushort JumpIfGreater = 0x25;     // BPF_JMP | BPF_JGT | BPF_K
    public const ushort JumpIfGreaterOrEqual = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    public const ushort JumpIfAnySet = 0x45;      // BPF_JMP | BPF_JSET | BPF_K
    public const ushort ReturnConstant = 0x06;    // BPF_RET | BPF_K

    /// <summary>The kernel's limit on a filter's length (BPF_MAXINSNS).</summary>
    public const int MaxProgramLength = 4096;

    public void WriteTo(Span<byte> destination)
    {
        // The kernel reads sock_filter in host order; x86-64 is little-endian.
        BinaryPrimitives.WriteUInt16LittleEndian(destination, Code);
        destination[2] = Jt;
        destination[3] = Jf;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], K);
    }

    public static BpfInstruction ReadFrom(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(source),
        source[2],
        source[3],
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]));

    public static byte[] Encode(IReadOnlyList<BpfInstruction> program)
    {
        var bytes = new byte[program.Count * Size];
        for (int i = 0; i < program.Count; i++)
            program[i].WriteTo(bytes.AsSpan(i * Size, Size));
        return bytes;
    }
}
