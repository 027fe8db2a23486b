namespace Skiff.Seccomp;

/// <summary>What the filter does with a call once its architecture and number are known.</summary>
internal abstract record Outcome;

/// <summary>A fixed verdict.</summary>
internal sealed record Verdict(uint Value) : Outcome;

/// <summary>Conditional rules tried in order; the first whose checks all hold gives its action, else <see cref="Fallback"/>.</summary>
internal sealed record RuleChain(IReadOnlyList<Rule> Rules, uint Fallback, bool WideArguments) : Outcome;

/// <summary>The call numbers <see cref="First"/>..<see cref="Last"/> (inclusive) share one outcome.</summary>
internal sealed record Segment(uint First, uint Last, Outcome Outcome);
