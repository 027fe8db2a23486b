namespace Skiff.Runc.CommandLine;

/// <summary>
/// A fully parsed command line: a value a test can compare without running anything, and the
/// one place that knows how to carry it out.
/// </summary>
internal abstract record RuncCommand
{
    /// <summary>Carries the command out and returns the process exit status.</summary>
    public abstract int Execute(RuncSession session);
}
