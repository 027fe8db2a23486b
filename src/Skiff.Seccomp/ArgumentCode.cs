using Skiff.Seccomp.Bpf;
using static Skiff.Seccomp.Bpf.BpfInstruction;

namespace Skiff.Seccomp;

/// <summary>
/// The BPF for one argument check. The code falls through when the check holds and jumps to the
/// failure label when it does not. seccomp_data holds each argument as a 64-bit value, and classic BPF
/// loads 32 bits at a time, so a 64-bit comparison decides on the high halves and looks at the low
/// halves only when the high ones are equal.
/// </summary>
internal static class ArgumentCode
{
    const uint ArgsOffset = 16;

    static uint Low(int index) => ArgsOffset + 8 * (uint)index;

    static uint High(int index) => Low(index) + 4;

    public static void Emit(BpfAssembler asm, ArgCheck check, bool wideArguments, Label fail)
    {
        Label pass = asm.NewLabel();
        if (wideArguments)
            Wide(asm, check, pass, fail);
        else
            Narrow(asm, check, pass, fail);
        asm.Mark(pass);
    }

    static void Wide(BpfAssembler asm, ArgCheck check, Label pass, Label fail)
    {
        uint valueHigh = (uint)(check.Value >> 32), valueLow = (uint)check.Value;
        Label lowHalf = asm.NewLabel();
        switch (check.Op)
        {
            case CompareOp.Equal:
                asm.Load(High(check.Index));
                asm.Branch(JumpIfEqual, valueHigh, lowHalf, fail);
                asm.Mark(lowHalf);
                asm.Load(Low(check.Index));
                asm.Branch(JumpIfEqual, valueLow, pass, fail);
                break;
            case CompareOp.NotEqual:
                asm.Load(High(check.Index));
                asm.Branch(JumpIfEqual, valueHigh, lowHalf, pass);
                asm.Mark(lowHalf);
                asm.Load(Low(check.Index));
                asm.Branch(JumpIfEqual, valueLow, fail, pass);
                break;
            case CompareOp.Greater or CompareOp.GreaterOrEqual or CompareOp.Less or CompareOp.LessOrEqual:
            {
                // One ordered comparison serves all four: an argument above the value passes the
                // greater checks and fails the less ones, one below it the other way round.
                bool greater = check.Op is CompareOp.Greater or CompareOp.GreaterOrEqual;
                Label above = greater ? pass : fail, below = greater ? fail : pass;
                asm.Load(High(check.Index));
                if (valueHigh == 0)
                {
                    // Nothing is below zero: a high half above it decides, zero goes on to the low half.
                    asm.Branch(JumpIfGreater, 0, above, lowHalf);
                }
                else
                {
                    Label highEqual = asm.NewLabel();
                    asm.Branch(JumpIfGreater, valueHigh, above, highEqual);
                    asm.Mark(highEqual);
                    asm.Branch(JumpIfEqual, valueHigh, lowHalf, below);
                }
                asm.Mark(lowHalf);
                asm.Load(Low(check.Index));
                // An equal low half counts as below for > and <=, and as above for >= and <.
                bool equalIsBelow = check.Op is CompareOp.Greater or CompareOp.LessOrEqual;
                asm.Branch(equalIsBelow ? JumpIfGreater : JumpIfGreaterOrEqual, valueLow, above, below);
                break;
            }
            case CompareOp.MaskedEqual:
            {
                uint maskHigh = valueHigh, maskLow = valueLow;
                uint datumHigh = (uint)(check.ValueTwo >> 32), datumLow = (uint)check.ValueTwo;
                if (maskHigh == 0 && datumHigh != 0)
                {
                    asm.Goto(fail);
                    return;
                }
                if (maskHigh != 0)
                {
                    asm.Load(High(check.Index));
                    if (maskHigh != uint.MaxValue)
                        asm.And(maskHigh);
                    asm.Branch(JumpIfEqual, datumHigh, lowHalf, fail);
                }
                // A zero high mask leaves (high & 0) == 0 == datum's high half: nothing to test there.
                asm.Mark(lowHalf);
                asm.Load(Low(check.Index));
                if (maskLow != uint.MaxValue)
                    asm.And(maskLow);
                asm.Branch(JumpIfEqual, datumLow, pass, fail);
                break;
            }
        }
    }

    /// <summary>
    /// i386 arguments are 32-bit registers: only the low half is the argument, whatever seccomp_data
    /// shows above it, and the comparison treats it as zero-extended. So a value beyond 32 bits decides
    /// the check without looking (nothing equals it, everything is below it).
    /// </summary>
    static void Narrow(BpfAssembler asm, ArgCheck check, Label pass, Label fail)
    {
        uint low = Low(check.Index);
        if (check.Op == CompareOp.MaskedEqual)
        {
            if (check.ValueTwo > uint.MaxValue)
            {
                asm.Goto(fail);
                return;
            }
            asm.Load(low);
            if ((uint)check.Value != uint.MaxValue)
                asm.And((uint)check.Value);
            asm.Branch(JumpIfEqual, (uint)check.ValueTwo, pass, fail);
            return;
        }
        if (check.Value > uint.MaxValue)
        {
            if (check.Op is CompareOp.Equal or CompareOp.Greater or CompareOp.GreaterOrEqual)
                asm.Goto(fail);
            return;
        }
        uint value = (uint)check.Value;
        asm.Load(low);
        switch (check.Op)
        {
            case CompareOp.Equal: asm.Branch(JumpIfEqual, value, pass, fail); break;
            case CompareOp.NotEqual: asm.Branch(JumpIfEqual, value, fail, pass); break;
            case CompareOp.Greater: asm.Branch(JumpIfGreater, value, pass, fail); break;
            case CompareOp.GreaterOrEqual: asm.Branch(JumpIfGreaterOrEqual, value, pass, fail); break;
            case CompareOp.Less: asm.Branch(JumpIfGreaterOrEqual, value, fail, pass); break;
            case CompareOp.LessOrEqual: asm.Branch(JumpIfGreater, value, fail, pass); break;
        }
    }
}
