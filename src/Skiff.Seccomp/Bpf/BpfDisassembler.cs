using System.Text;

namespace Skiff.Seccomp.Bpf;

/// <summary>
/// Renders a seccomp program as text, one instruction a line with absolute jump targets and the
/// <c>seccomp_data</c> field or verdict named: for debug logs and for the golden tests.
/// </summary>
public static class BpfDisassembler
{
    public static string Disassemble(ReadOnlySpan<byte> filter)
    {
        if (filter.Length % BpfInstruction.Size != 0)
            throw new ArgumentException($"a seccomp filter is a whole number of {BpfInstruction.Size}-byte instructions, not {filter.Length} bytes", nameof(filter));
        var text = new StringBuilder();
        int count = filter.Length / BpfInstruction.Size;
        for (int pc = 0; pc < count; pc++)
        {
            BpfInstruction insn = BpfInstruction.ReadFrom(filter.Slice(pc * BpfInstruction.Size, BpfInstruction.Size));
            text.Append(pc.ToString("D4")).Append(": ").Append(Describe(insn, pc)).Append('\n');
        }
        return text.ToString();
    }

    static string Describe(BpfInstruction insn, int pc) => insn.Code switch
    {
        BpfInstruction.LoadWordAbsolute => $"ld   [{insn.K}]".PadRight(32) + "; " + Field(insn.K),
        BpfInstruction.AndConstant => $"and  #0x{insn.K:x}",
        BpfInstruction.JumpAlways => $"ja   {pc + 1 + insn.K:D4}",
        BpfInstruction.JumpIfEqual => Branch("jeq", insn, pc),
        BpfInstruction.JumpIfGreater => Branch("jgt", insn, pc),
        BpfInstruction.JumpIfGreaterOrEqual => Branch("jge", insn, pc),
        BpfInstruction.JumpIfAnySet => Branch("jset", insn, pc),
        BpfInstruction.ReturnConstant => $"ret  #0x{insn.K:x8}".PadRight(32) + "; " + SeccompAction.Describe(insn.K),
        _ => $".insn code=0x{insn.Code:x4} jt={insn.Jt} jf={insn.Jf} k=0x{insn.K:x8}",
    };

    static string Branch(string name, BpfInstruction insn, int pc) =>
        $"{name.PadRight(4)} #0x{insn.K:x}".PadRight(20) + $" jt {pc + 1 + insn.Jt:D4} jf {pc + 1 + insn.Jf:D4}";

    /// <summary>The <c>struct seccomp_data</c> member at a load offset.</summary>
    static string Field(uint offset) => offset switch
    {
        0 => "nr",
        4 => "arch",
        8 => "instruction_pointer (low)",
        12 => "instruction_pointer (high)",
        >= 16 and < 64 when offset % 4 == 0 => $"args[{(offset - 16) / 8}] ({((offset & 4) == 0 ? "low" : "high")})",
        _ => "outside seccomp_data",
    };
}
