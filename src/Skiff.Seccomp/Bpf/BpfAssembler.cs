namespace Skiff.Seccomp.Bpf;

/// <summary>A place in the program that jumps name before it is known.</summary>
internal readonly record struct Label(int Id);

/// <summary>
/// Collects instructions whose jumps name labels, then lays them out. A conditional jump reaches at most
/// 255 instructions ahead; one that must go further is given a trampoline: it lands on an unconditional
/// <c>ja</c> placed right after it, whose 32-bit offset reaches anywhere. Trampolines push later code
/// further away, so layout repeats until no jump needs a new one (it only grows, so it ends).
/// </summary>
internal sealed class BpfAssembler
{
    enum Kind { Plain, Branch, Goto, Mark }

    readonly record struct Item(Kind Kind, ushort Code, uint K, Label True, Label False);

    readonly List<Item> items = new();
    int labels;

    public Label NewLabel() => new(labels++);

    public void Mark(Label label) => items.Add(new Item(Kind.Mark, 0, 0, label, default));

    public void Load(uint offset) => items.Add(new Item(Kind.Plain, BpfInstruction.LoadWordAbsolute, offset, default, default));

    public void And(uint mask) => items.Add(new Item(Kind.Plain, BpfInstruction.AndConstant, mask, default, default));

    public void Return(uint value) => items.Add(new Item(Kind.Plain, BpfInstruction.ReturnConstant, value, default, default));

    public void Goto(Label target) => items.Add(new Item(Kind.Goto, BpfInstruction.JumpAlways, 0, target, default));

    /// <summary>A conditional jump on the accumulator against <paramref name="k"/>.</summary>
    public void Branch(ushort code, uint k, Label whenTrue, Label whenFalse) =>
        items.Add(new Item(Kind.Branch, code, k, whenTrue, whenFalse));

    public List<BpfInstruction> Assemble()
    {
        var farTrue = new bool[items.Count];
        var farFalse = new bool[items.Count];
        int[] position, target;
        while (true)
        {
            (position, target) = Layout(farTrue, farFalse);
            bool grew = false;
            for (int i = 0; i < items.Count; i++)
            {
                if (items[i].Kind != Kind.Branch)
                    continue;
                int next = position[i] + 1;
                if (!farTrue[i] && Distance(target, items[i].True, next) > byte.MaxValue)
                    farTrue[i] = grew = true;
                if (!farFalse[i] && Distance(target, items[i].False, next) > byte.MaxValue)
                    farFalse[i] = grew = true;
            }
            if (!grew)
                break;
        }
        return Emit(position, target, farTrue, farFalse);
    }

    (int[] Position, int[] Target) Layout(bool[] farTrue, bool[] farFalse)
    {
        var position = new int[items.Count];
        var target = new int[labels];
        Array.Fill(target, -1);
        int at = 0;
        for (int i = 0; i < items.Count; i++)
        {
            position[i] = at;
            Item item = items[i];
            switch (item.Kind)
            {
                case Kind.Mark:
                    if (target[item.True.Id] >= 0)
                        throw new InvalidOperationException($"BPF label {item.True.Id} marked twice");
                    target[item.True.Id] = at;
                    break;
                case Kind.Branch:
                    at += 1 + (farTrue[i] ? 1 : 0) + (farFalse[i] ? 1 : 0);
                    break;
                default:
                    at++;
                    break;
            }
        }
        return (position, target);
    }

    static int Distance(int[] target, Label label, int from)
    {
        int to = target[label.Id];
        if (to < 0)
            throw new InvalidOperationException($"BPF label {label.Id} never marked");
        if (to < from)
            throw new InvalidOperationException($"BPF label {label.Id} lies behind its jump: classic BPF only jumps forward");
        return to - from;
    }

    List<BpfInstruction> Emit(int[] position, int[] target, bool[] farTrue, bool[] farFalse)
    {
        var program = new List<BpfInstruction>();
        for (int i = 0; i < items.Count; i++)
        {
            Item item = items[i];
            int next = position[i] + 1;
            switch (item.Kind)
            {
                case Kind.Mark:
                    break;
                case Kind.Plain:
                    program.Add(new BpfInstruction(item.Code, 0, 0, item.K));
                    break;
                case Kind.Goto:
                    program.Add(new BpfInstruction(item.Code, 0, 0, (uint)Distance(target, item.True, next)));
                    break;
                case Kind.Branch:
                    // Each far side lands on its own ja right after the branch: the true side's first.
                    int trampolines = (farTrue[i] ? 1 : 0) + (farFalse[i] ? 1 : 0);
                    byte jt = farTrue[i] ? (byte)0 : (byte)Distance(target, item.True, next);
                    byte jf = farFalse[i] ? (byte)(farTrue[i] ? 1 : 0) : (byte)Distance(target, item.False, next);
                    program.Add(new BpfInstruction(item.Code, jt, jf, item.K));
                    if (farTrue[i])
                        program.Add(new BpfInstruction(BpfInstruction.JumpAlways, 0, 0, (uint)Distance(target, item.True, next + 1)));
                    if (farFalse[i])
                        program.Add(new BpfInstruction(BpfInstruction.JumpAlways, 0, 0, (uint)Distance(target, item.False, next + trampolines)));
                    break;
            }
        }
        return program;
    }
}
