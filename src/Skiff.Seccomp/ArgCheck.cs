namespace Skiff.Seccomp;

internal enum CompareOp { NotEqual, Less, LessOrEqual, Equal, GreaterOrEqual, Greater, MaskedEqual }

/// <summary>One argument condition of a rule. For <see cref="CompareOp.MaskedEqual"/>, <see cref="Value"/>
/// is the mask and <see cref="ValueTwo"/> the datum, as the spec and libseccomp define them.</summary>
internal sealed record ArgCheck(int Index, CompareOp Op, ulong Value, ulong ValueTwo)
{
    public const int MaxArguments = 6;

    public static ArgCheck Parse(Oci.Runtime.SeccompArg arg, string field)
    {
        if (arg.Index >= MaxArguments)
            throw new SeccompException($"{field}.index: {arg.Index} is beyond the {MaxArguments} arguments a system call has");
        CompareOp op = arg.Op switch
        {
            "SCMP_CMP_NE" => CompareOp.NotEqual,
            "SCMP_CMP_LT" => CompareOp.Less,
            "SCMP_CMP_LE" => CompareOp.LessOrEqual,
            "SCMP_CMP_EQ" => CompareOp.Equal,
            "SCMP_CMP_GE" => CompareOp.GreaterOrEqual,
            "SCMP_CMP_GT" => CompareOp.Greater,
            "SCMP_CMP_MASKED_EQ" => CompareOp.MaskedEqual,
            _ => throw new SeccompException($"{field}.op: unknown operator \"{arg.Op}\""),
        };
        return new ArgCheck((int)arg.Index, op, arg.Value, arg.ValueTwo);
    }
}

/// <summary>A verdict that applies when every check holds (no checks: always).</summary>
internal sealed record Rule(SeccompAction Action, IReadOnlyList<ArgCheck> Checks)
{
    public bool IsUnconditional => Checks.Count == 0;
}
