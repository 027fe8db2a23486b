using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

[Collection(EngineCollection.Name)]
public sealed class SystemTests(EngineSuite suite)
{
    [Fact]
    public void System_df_counts_what_exists_and_system_prune_removes_what_is_stopped_or_unused()
    {
        string used = "prune-used-" + Guid.NewGuid().ToString("N")[..8], unused = "prune-unused-" + Guid.NewGuid().ToString("N")[..8];
        suite.Ok("network", "create", used);
        suite.Ok("network", "create", unused);
        string running = suite.Ok("run", "-d", "--network", used, "busybox", "sleep", "1000").Trim();
        string stopped = suite.Ok("run", "-d", "busybox", "sh", "-c", "head -c 300000 /dev/zero > /big").Trim();
        try
        {
            suite.Ok("wait", stopped);
            string[] df = suite.Ok("system", "df").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Matches(@"^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$", df[0]);
            Assert.Matches(@"^Images\s+1\s+1\s+", df[1]);
            Assert.Matches(@"^Containers\s+2\s+1\s+300kB\s+300kB \(100%\)$", df[2]);
            Assert.StartsWith("Local Volumes", df[3]);

            Assert.NotEqual(0, suite.Run("system", "prune").Exit);
            string pruned = suite.Ok("system", "prune", "-f");
            Assert.Contains(stopped, pruned);
            Assert.DoesNotContain(running, pruned);
            Assert.Equal(running[..12] + "\n", suite.Ok("ps", "-aq"));
            Assert.Contains("busybox", suite.Ok("images"));
            Assert.Contains("Deleted Networks:\n" + unused + "\n", pruned);
            string networks = suite.Ok("network", "ls", "--format", "{{.Name}}");
            Assert.Contains(used, networks);
            Assert.Contains("bridge", networks);
            Assert.DoesNotContain(unused, networks);
        }
        finally
        {
            suite.Run("rm", "-f", running, stopped);
            suite.Run("network", "rm", "-f", used, unused);
        }
    }
}
