using Skiff.Seccomp.Bpf;
using static Skiff.Seccomp.Bpf.BpfInstruction;

namespace Skiff.Seccomp;

/// <summary>
/// Lays a rule set out as a program: check <c>seccomp_data.arch</c> first (a call is only ever judged by
/// the numbers of its own ABI), then binary-search the call number over the architecture's segments;
/// each leaf returns a verdict or runs its argument checks.
/// </summary>
internal static class FilterEmitter
{
    const uint NrOffset = 0;
    const uint ArchOffset = 4;

    public static List<BpfInstruction> Emit(RuleSet rules)
    {
        var asm = new BpfAssembler();
        bool i386 = rules.Abis.Contains(SyscallAbi.I386);
        Label x86_64Calls = asm.NewLabel(), i386Calls = asm.NewLabel();

        asm.Load(ArchOffset);
        Label next = asm.NewLabel();
        asm.Branch(JumpIfEqual, SyscallAbi.AuditArchX86_64, x86_64Calls, next);
        asm.Mark(next);
        if (i386)
        {
            next = asm.NewLabel();
            asm.Branch(JumpIfEqual, SyscallAbi.AuditArchI386, i386Calls, next);
            asm.Mark(next);
        }
        asm.Return(SeccompAction.BadArch.Value);

        asm.Mark(x86_64Calls);
        Section(asm, NumberLine.For(SyscallAbi.AuditArchX86_64, rules));
        if (i386)
        {
            asm.Mark(i386Calls);
            Section(asm, NumberLine.For(SyscallAbi.AuditArchI386, rules));
        }
        return asm.Assemble();
    }

    static void Section(BpfAssembler asm, IReadOnlyList<Segment> segments)
    {
        asm.Load(NrOffset);
        Search(asm, segments, 0, segments.Count - 1);
    }

    static void Search(BpfAssembler asm, IReadOnlyList<Segment> segments, int first, int last)
    {
        if (first == last)
        {
            Decide(asm, segments[first].Outcome);
            return;
        }
        int middle = (first + last + 1) / 2;
        Label below = asm.NewLabel(), from = asm.NewLabel();
        asm.Branch(JumpIfGreaterOrEqual, segments[middle].First, from, below);
        asm.Mark(below);
        Search(asm, segments, first, middle - 1);
        asm.Mark(from);
        Search(asm, segments, middle, last);
    }

    static void Decide(BpfAssembler asm, Outcome outcome)
    {
        switch (outcome)
        {
            case Verdict verdict:
                asm.Return(verdict.Value);
                break;
            case RuleChain chain:
                foreach (Rule rule in chain.Rules)
                {
                    Label nextRule = asm.NewLabel();
                    foreach (ArgCheck check in rule.Checks)
                        ArgumentCode.Emit(asm, check, chain.WideArguments, nextRule);
                    asm.Return(rule.Action.Value);
                    asm.Mark(nextRule);
                }
                asm.Return(chain.Fallback);
                break;
        }
    }
}
