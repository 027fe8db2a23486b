namespace Skiff.Seccomp;

/// <summary>
/// The 2^32 call numbers of one architecture cut into segments of equal outcome. The emitted code is a
/// binary search over these segments, so a profile of hundreds of calls costs a dozen comparisons.
/// </summary>
internal static class NumberLine
{
    /// <summary>The segments for the calls arriving with <paramref name="auditArch"/>.</summary>
    public static IReadOnlyList<Segment> For(uint auditArch, RuleSet rules)
    {
        var background = new List<Segment>();
        var points = new SortedDictionary<uint, Outcome>();
        foreach (SyscallAbi abi in rules.Abis.Where(a => a.AuditArch == auditArch))
        {
            background.AddRange(Background(abi, rules));
            foreach (var (number, list) in rules.For(abi))
                points[number] = RuleSet.Decide(list, rules.Default, abi.WideArguments);
        }
        if (auditArch == SyscallAbi.AuditArchX86_64 && !rules.Abis.Contains(SyscallAbi.X32))
        {
            // Without x32 in the filter, a number with the x32 bit is a call from an ABI the filter does not
            // know: libseccomp gives it the bad-architecture action. Only -1, which a tracer writes to skip
            // a call, goes on to the default.
            background.Add(new Segment(SyscallAbi.X32SyscallBit, uint.MaxValue - 1, new Verdict(SeccompAction.BadArch.Value)));
            background.Add(new Segment(uint.MaxValue, uint.MaxValue, new Verdict(rules.Default.Value)));
        }
        background.Sort((a, b) => a.First.CompareTo(b.First));
        return Merge(Overlay(background, points));
    }

    /// <summary>
    /// The outcome of numbers the profile does not name: the default, except that numbers above the highest
    /// one named get ENOSYS unless the default lets calls through. That is runc's answer to a call newer
    /// than the profile, so a libc falls back (clone3 to clone, for instance) instead of failing on EPERM.
    /// </summary>
    static IEnumerable<Segment> Background(SyscallAbi abi, RuleSet rules)
    {
        var fallback = new Verdict(rules.Default.Value);
        long highest = rules.Highest(abi);
        if (rules.Default.LetsCallsThrough || highest < abi.FirstNumber || highest >= abi.LastNumber)
        {
            yield return new Segment(abi.FirstNumber, abi.LastNumber, fallback);
            yield break;
        }
        yield return new Segment(abi.FirstNumber, (uint)highest, fallback);
        yield return new Segment((uint)highest + 1, abi.LastNumber, new Verdict(SeccompAction.NoSuchSyscall.Value));
    }

    static List<Segment> Overlay(List<Segment> background, SortedDictionary<uint, Outcome> points)
    {
        var result = new List<Segment>();
        using var point = points.GetEnumerator();
        bool more = point.MoveNext();
        foreach (Segment segment in background)
        {
            ulong start = segment.First;
            while (more && point.Current.Key <= segment.Last)
            {
                uint number = point.Current.Key;
                if (number < start)
                    throw new InvalidOperationException($"seccomp: call number {number} lies outside its ABI's range");
                if (number > start)
                    result.Add(segment with { First = (uint)start, Last = number - 1 });
                result.Add(new Segment(number, number, point.Current.Value));
                start = (ulong)number + 1;
                more = point.MoveNext();
            }
            if (start <= segment.Last)
                result.Add(segment with { First = (uint)start });
        }
        if (more)
            throw new InvalidOperationException($"seccomp: call number {point.Current.Key} lies outside its ABI's range");
        return result;
    }

    static List<Segment> Merge(List<Segment> segments)
    {
        var merged = new List<Segment>();
        foreach (Segment segment in segments)
        {
            if (merged.Count > 0 && merged[^1] is { Outcome: Verdict previous } last
                && segment.Outcome is Verdict current && previous.Value == current.Value)
                merged[^1] = last with { Last = segment.Last };
            else
                merged.Add(segment);
        }
        return merged;
    }
}
