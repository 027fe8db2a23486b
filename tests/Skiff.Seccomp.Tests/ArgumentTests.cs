namespace Skiff.Seccomp.Tests;

/// <summary>
/// Every operator against a grid of 64-bit values chosen around the 32-bit halves' edges, checked
/// against plain C# arithmetic: x86-64 compares all 64 bits, i386 only the 32-bit register.
/// </summary>
public class ArgumentTests
{
    static readonly ulong[] Edges =
    [
        0, 1, 2, 0x7f, 0xffff_fffe, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001, 0x1_ffff_ffff,
        0x2_0000_0000, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0xffff_ffff_0000_0000, 0xffff_ffff_ffff_ffff,
    ];

    public static TheoryData<string, ulong> Cases()
    {
        var data = new TheoryData<string, ulong>();
        foreach (string op in new[] { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT" })
            foreach (ulong value in Edges)
                data.Add(op, value);
        return data;
    }

    static bool Holds(string op, ulong arg, ulong value) => op switch
    {
        "SCMP_CMP_NE" => arg != value,
        "SCMP_CMP_LT" => arg < value,
        "SCMP_CMP_LE" => arg <= value,
        "SCMP_CMP_EQ" => arg == value,
        "SCMP_CMP_GE" => arg >= value,
        "SCMP_CMP_GT" => arg > value,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    static SeccompProgram Rule(string op, ulong value, ulong valueTwo = 0) => Profiles.Compile($$"""
        {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
         "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                       "args": [{"index": 3, "value": {{value}}, "valueTwo": {{valueTwo}}, "op": "{{op}}"}]}]}
        """);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Comparison_of_a_64_bit_argument_uses_both_halves(string op, ulong value)
    {
        var program = Rule(op, value);
        foreach (ulong arg in Edges.Concat([value - 1, value, value + 1, value ^ 0x1_0000_0000, value ^ 1]))
        {
            uint expected = Holds(op, arg, value) ? Ret.Allow : Ret.Errno(1);
            Assert.True(expected == program.Run(SeccompData.X64(135, 0, 0, 0, arg)), $"x86-64: {arg:x} {op} {value:x}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Comparison_on_i386_sees_only_the_32_bit_register(string op, ulong value)
    {
        var program = Rule(op, value);
        foreach (ulong arg in Edges.Concat([value - 1, value, value + 1]))
        {
            // Whatever sits above the register in seccomp_data, the kernel passes the low 32 bits on.
            uint expected = Holds(op, (uint)arg, value) ? Ret.Allow : Ret.Errno(1);
            Assert.True(expected == program.Run(SeccompData.Ia32(136, 0, 0, 0, arg)), $"i386: {arg:x} {op} {value:x}");
        }
    }

    [Theory]
    [InlineData(0x7e020000ul, 0ul)]                    // Docker's clone rule: no namespace flags
    [InlineData(0xffff_0000_0000_00fful, 0x1234_0000_0000_0012ul)]
    [InlineData(0xffff_ffff_ffff_fffful, 0x8000_0000_0000_0001ul)]
    [InlineData(0x0000_0001_0000_0000ul, 0x0000_0001_0000_0000ul)]
    [InlineData(0xfful, 0x100ul)]                      // datum outside the mask: never equal
    [InlineData(0xfful, 0x1_0000_0001ul)]
    public void Masked_equality_masks_both_halves(ulong mask, ulong datum)
    {
        var program = Rule("SCMP_CMP_MASKED_EQ", mask, datum);
        foreach (ulong arg in Edges.Concat(new ulong[] { datum, datum | ~mask, datum ^ 1, datum ^ 0x1_0000_0000, 0x7e020000, 0x20000, 0x11 }))
        {
            Assert.True(((arg & mask) == datum ? Ret.Allow : Ret.Errno(1)) == program.Run(SeccompData.X64(135, 0, 0, 0, arg)),
                $"x86-64: ({arg:x} & {mask:x}) == {datum:x}");
            Assert.True((((uint)arg & mask) == datum ? Ret.Allow : Ret.Errno(1)) == program.Run(SeccompData.Ia32(136, 0, 0, 0, arg)),
                $"i386: ({(uint)arg:x} & {mask:x}) == {datum:x}");
        }
    }
}
