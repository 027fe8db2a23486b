using System.Diagnostics;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// Fork-safety rule 5 of ARCHITECTURE.md: many container launches from two threads of one NativeAOT
/// process while a third thread allocates and forces collections, with no hang and no leak. The
/// program under test is tests/Skiff.ForkStress, published beside skiff-runc by scripts/build.sh.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ForkSafetyTests(Suite suite)
{
    private const int Launches = 200;

    [SkiffOnlyFact("it drives skiff's own launch code in-process")]
    public void Launches_survive_a_thread_that_forces_garbage_collections()
    {
        string cgroupParent = $"/{suite.CgroupParent}/stress";
        try { LaunchUnderGcPressure(cgroupParent); }
        // The shared parent is the test's own making: each delete removes only its container's leaf.
        finally { CgroupFs.Remove(cgroupParent); }
    }

    private void LaunchUnderGcPressure(string cgroupParent)
    {
        string stress = Path.Combine(Path.GetDirectoryName(RuntimeUnderTest.BinaryPath)!, "skiff-fork-stress");
        Assert.True(File.Exists(stress), $"{stress} was not built (scripts/build.sh publishes it)");
        using var container = new TestContainer(suite);
        container.Process.Args = ["/bin/true"];
        container.WriteConfig();
        string root = Path.Combine(container.Dir, "stress-state");

        var psi = new ProcessStartInfo(stress) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { container.BundleDir, root, Launches.ToString(), cgroupParent }) psi.ArgumentList.Add(arg);
        // Its work directory goes with the container's, even when a hung run is killed before it cleans up.
        psi.Environment["TMPDIR"] = container.Dir;
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        // Not a speed limit: a launch that inherited a half-begun GC never returns, and a hang must fail.
        bool finished = process.WaitForExit(TimeSpan.FromMinutes(10));
        if (!finished) process.Kill(entireProcessTree: true);
        Assert.True(finished, $"the stress run hung: {stdout.Result}{stderr.Result}");

        Assert.True(stdout.Result.Contains($"{Launches} passed, 0 failed"), $"{stdout.Result}{stderr.Result}");
        Assert.Equal(0, process.ExitCode);
        Assert.DoesNotContain("collections during the run: 0", stdout.Result);
        Assert.Empty(Directory.Exists(root) ? Directory.EnumerateDirectories(root) : []);
        Assert.Empty(HostProcesses.Using(container.BundleDir));
        foreach (string dir in CgroupFs.ExistingDirectoriesOf(cgroupParent))
            Assert.Empty(Directory.EnumerateDirectories(dir));
    }
}
