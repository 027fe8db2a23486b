using Skiff.Oci.Runtime;

namespace Skiff.Seccomp;

/// <summary>The profile's rules resolved to system call numbers, one table per ABI, in profile order.</summary>
internal sealed class RuleSet
{
    readonly Dictionary<SyscallAbi, SortedDictionary<uint, List<Rule>>> rules = new();
    readonly Dictionary<SyscallAbi, long> highest = new();

    RuleSet(SeccompAction defaultAction, IReadOnlyList<SyscallAbi> abis)
    {
        Default = defaultAction;
        Abis = abis;
        foreach (SyscallAbi abi in abis)
        {
            rules[abi] = new SortedDictionary<uint, List<Rule>>();
            highest[abi] = -1;
        }
    }

    public SeccompAction Default { get; }

    public IReadOnlyList<SyscallAbi> Abis { get; }

    public bool UsesNotify { get; private set; }

    public List<string> Skipped { get; } = new();

    /// <summary>The numbered rules of <paramref name="abi"/>, ascending.</summary>
    public IEnumerable<KeyValuePair<uint, List<Rule>>> For(SyscallAbi abi) => rules[abi];

    /// <summary>The highest number the profile names for <paramref name="abi"/>, whatever its action, or -1.</summary>
    public long Highest(SyscallAbi abi) => highest[abi];

    public static RuleSet Build(List<SeccompSyscall>? syscalls, SeccompAction defaultAction, IReadOnlyList<SyscallAbi> abis)
    {
        var set = new RuleSet(defaultAction, abis);
        for (int i = 0; i < (syscalls?.Count ?? 0); i++)
            set.Add(syscalls![i], $"linux.seccomp.syscalls[{i}]");
        return set;
    }

    void Add(SeccompSyscall entry, string field)
    {
        SeccompAction action = SeccompAction.Parse(entry.Action, entry.ErrnoRet, field + ".action");
        IReadOnlyList<IReadOnlyList<ArgCheck>> alternatives = Alternatives(entry.Args, field);
        // A rule that repeats the default changes nothing; runc drops it before libseccomp sees it, which
        // also keeps it from overriding other rules of the same call.
        bool effective = action != Default;

        for (int n = 0; n < entry.Names.Count; n++)
        {
            string name = entry.Names[n];
            if (string.IsNullOrEmpty(name))
                throw new SeccompException($"{field}.names[{n}]: empty system call name");
            bool known = false;
            foreach (SyscallAbi abi in Abis)
            {
                long number = abi.Number(name);
                if (number >= 0)
                {
                    known = true;
                    highest[abi] = Math.Max(highest[abi], number);
                    if (effective)
                        foreach (IReadOnlyList<ArgCheck> checks in alternatives)
                            Append(abi, (uint)number, new Rule(action, checks));
                }
                if (abi.Multiplexed(name) is (uint multiplexer, ArgCheck selector))
                {
                    known = true;
                    if (effective)
                        Append(abi, multiplexer, new Rule(action, [selector]));
                }
            }
            if (!known && !Skipped.Contains(name))
                Skipped.Add(name);
        }
    }

    void Append(SyscallAbi abi, uint number, Rule rule)
    {
        SortedDictionary<uint, List<Rule>> table = rules[abi];
        if (!table.TryGetValue(number, out List<Rule>? list))
            table[number] = list = new List<Rule>();
        list.Add(rule);
        UsesNotify |= rule.Action.IsNotify;
    }

    /// <summary>
    /// The conditions of one entry, ANDed. When two of them test the same argument runc falls back to its
    /// older reading, each condition a rule of its own (ORed); we read them the same way.
    /// </summary>
    static IReadOnlyList<IReadOnlyList<ArgCheck>> Alternatives(List<SeccompArg>? args, string field)
    {
        if (args is null || args.Count == 0)
            return [Array.Empty<ArgCheck>()];
        var checks = new ArgCheck[args.Count];
        for (int a = 0; a < args.Count; a++)
            checks[a] = ArgCheck.Parse(args[a], $"{field}.args[{a}]");
        if (!ArgumentRepeated(checks)) return [checks];
        var alternatives = new IReadOnlyList<ArgCheck>[checks.Length];
        for (int a = 0; a < checks.Length; a++) alternatives[a] = [checks[a]];
        return alternatives;
    }

    private static bool ArgumentRepeated(ArgCheck[] checks)
    {
        for (int a = 0; a < checks.Length; a++)
            for (int b = a + 1; b < checks.Length; b++)
                if (checks[a].Index == checks[b].Index) return true;
        return false;
    }

    /// <summary>
    /// What one call number decides, read the way libseccomp merges rules: the first unconditional rule
    /// wins outright; otherwise the conditional rules are tried in profile order.
    /// </summary>
    public static Outcome Decide(IReadOnlyList<Rule> rules, SeccompAction fallback, bool wideArguments)
    {
        foreach (Rule rule in rules)
            if (rule.IsUnconditional)
                return new Verdict(rule.Action.Value);
        return new RuleChain(rules, fallback.Value, wideArguments);
    }
}
