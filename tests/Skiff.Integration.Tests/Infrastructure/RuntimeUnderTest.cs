namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// The OCI runtime binary these tests drive: $SKIFF_RUNTIME, or the published skiff-runc of this
/// checkout. Pointing SKIFF_RUNTIME at Debian's runc validates the tests themselves.
/// </summary>
public static class RuntimeUnderTest
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string BinaryPath { get; } = Resolve();

    /// <summary>True for skiff-runc; a few assertions pin down skiff's own choices (see SkiffOnlyFact).</summary>
    public static bool IsSkiff { get; } = Path.GetFileName(BinaryPath).StartsWith("skiff", StringComparison.Ordinal);

    private static string Resolve()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SKIFF_RUNTIME");
        return string.IsNullOrWhiteSpace(fromEnv)
            ? Path.Combine(RepoRoot, "artifacts", "bin", "skiff-runc")
            : Path.GetFullPath(fromEnv);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "skiff.sln")))
                return dir.FullName;
        }
        // Built outside the checkout (--artifacts-path): the build recorded where the sources were.
        var recorded = typeof(RuntimeUnderTest).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SkiffRepoRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, "skiff.sln")))
            return Path.GetFullPath(recorded);
        throw new InvalidOperationException($"no skiff.sln above {AppContext.BaseDirectory}: run the tests from a skiff checkout");
    }
}

/// <summary>
/// A test of skiff-runc's own behaviour where Debian's runc 1.1.5 is known to differ (it predates a
/// feature, or has a bug the spec rules out). It runs whenever the runtime under test is skiff-runc,
/// or with SKIFF_IT_ALL=1 (to see how another runtime fares).
/// </summary>
public sealed class SkiffOnlyFactAttribute : FactAttribute
{
    public SkiffOnlyFactAttribute(string whyOtherRuntimesDiffer)
    {
        if (!RuntimeUnderTest.IsSkiff && Environment.GetEnvironmentVariable("SKIFF_IT_ALL") != "1")
            Skip = $"skiff-runc only ({whyOtherRuntimesDiffer}); runtime under test is {RuntimeUnderTest.BinaryPath}";
    }
}

/// <summary><see cref="SkiffOnlyFactAttribute"/> for a theory.</summary>
public sealed class SkiffOnlyTheoryAttribute : TheoryAttribute
{
    public SkiffOnlyTheoryAttribute(string whyOtherRuntimesDiffer)
    {
        if (!RuntimeUnderTest.IsSkiff && Environment.GetEnvironmentVariable("SKIFF_IT_ALL") != "1")
            Skip = $"skiff-runc only ({whyOtherRuntimesDiffer}); runtime under test is {RuntimeUnderTest.BinaryPath}";
    }
}
