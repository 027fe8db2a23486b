using Skiff.Seccomp.Bpf;

namespace Skiff.Seccomp.Tests;

/// <summary>Label resolution and the trampolines that carry conditional jumps past 255 instructions.</summary>
public class AssemblerTests
{
    [Theory]
    [InlineData(10, 10)]
    [InlineData(300, 10)]
    [InlineData(10, 300)]
    [InlineData(300, 300)]
    [InlineData(254, 1)]
    [InlineData(255, 1)]
    [InlineData(256, 1)]
    public void Branches_reach_targets_near_and_far(int trueDistance, int falseDistance)
    {
        // ld nr; jeq 7 -> T else F, with F after falseDistance filler returns and T after trueDistance more.
        var far = new BpfAssembler();
        Label t = far.NewLabel(), f = far.NewLabel();
        far.Load(0);
        far.Branch(BpfInstruction.JumpIfEqual, 7, t, f);
        for (int i = 0; i < falseDistance; i++)
            far.Return(3);
        far.Mark(f);
        far.Return(2);
        for (int i = 0; i < trueDistance; i++)
            far.Return(3);
        far.Mark(t);
        far.Return(1);

        byte[] filter = BpfInstruction.Encode(far.Assemble());
        BpfInterpreter.Verify(filter);
        Assert.Equal(1u, BpfInterpreter.Run(filter, SeccompData.X64(7)));
        Assert.Equal(2u, BpfInterpreter.Run(filter, SeccompData.X64(8)));
        int expectedLength = 1 + 1 + falseDistance + 1 + trueDistance + 1
            + (falseDistance + trueDistance + 1 > 255 ? 1 : 0) + (falseDistance > 255 ? 1 : 0);
        Assert.Equal(expectedLength, filter.Length / 8);
    }

    [Fact]
    public void A_label_behind_its_jump_is_a_compiler_bug_not_a_program()
    {
        var asm = new BpfAssembler();
        Label back = asm.NewLabel();
        asm.Mark(back);
        asm.Load(0);
        asm.Goto(back);
        Assert.Throws<InvalidOperationException>(() => asm.Assemble());
    }
}
