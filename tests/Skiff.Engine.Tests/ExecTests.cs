using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

[Collection(EngineCollection.Name)]
public sealed class ExecTests(EngineSuite suite)
{
    [Fact]
    public void Exec_joins_the_containers_namespaces_with_its_env_user_and_workdir()
    {
        string id = suite.Ok("run", "-d", "-e", "FROM_RUN=1", "busybox", "sleep", "1000").Trim();
        try
        {
            string output = suite.Ok("exec", "-e", "EXTRA=2", "-u", "nobody", "-w", "/tmp", id, "sh", "-c", "echo $FROM_RUN $EXTRA; id -un; pwd; hostname; cat /proc/1/cmdline | tr '\\0' ' '");
            Assert.Equal($"1 2\nnobody\n/tmp\n{id[..12]}\nsleep 1000 ", output);
            Assert.Equal(5, suite.Run("exec", id, "sh", "-c", "exit 5").Exit);
            SkiffResult missing = suite.Run("exec", id, "no-such-command");
            Assert.Equal(127, missing.Exit);
            Assert.Contains("no-such-command", missing.Error);
            suite.Ok("exec", "-d", id, "sh", "-c", "sleep 0.2; touch /detached");
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (suite.Run("exec", id, "test", "-e", "/detached").Exit != 0 && DateTime.UtcNow < deadline) Thread.Sleep(50);
            Assert.Equal(0, suite.Run("exec", id, "test", "-e", "/detached").Exit);
            Assert.Equal("piped\n", suite.RunWithInput("piped\n", "exec", "-i", id, "cat").Out);
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
        SkiffResult stopped = suite.Run("exec", id, "true");
        Assert.Equal(1, stopped.Exit);
    }

    /// <summary>A detached exec's process writes to its stdout and stderr after exec -d has returned, and goes on.</summary>
    [Fact]
    public void A_detached_exec_goes_on_after_writing_its_output()
    {
        string id = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        try
        {
            suite.Ok("exec", "-d", id, "sh", "-c", "sleep 0.5; echo out; echo err >&2; touch /wrote");
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (suite.Run("exec", id, "test", "-e", "/wrote").Exit != 0 && DateTime.UtcNow < deadline) Thread.Sleep(50);
            Assert.True(suite.Run("exec", id, "test", "-e", "/wrote").Exit == 0, "the detached process did not get past its first write");
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }
}
