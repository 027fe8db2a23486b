using System.Text.Json;
using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

[Collection(EngineCollection.Name)]
public sealed class PsTests(EngineSuite suite)
{
    [Fact]
    public void Ps_lists_filters_and_formats_like_docker()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string running = suite.Ok("run", "-d", "--name", "up-" + tag, "-l", "suite=" + tag, "busybox", "sleep", "1000").Trim();
        string exited = suite.Ok("run", "-d", "--name", "down-" + tag, "-l", "suite=" + tag, "busybox", "sh", "-c", "exit 4").Trim();
        try
        {
            Assert.Equal("4\n", suite.Ok("wait", exited));
            string[] table = suite.Ok("ps").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Matches(@"^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$", table[0]);
            Assert.Contains(table, l => l.StartsWith(running[..12]) && l.Contains("\"sleep 1000\"") && l.Contains("Up ") && l.EndsWith("up-" + tag));
            Assert.DoesNotContain(table, l => l.Contains("down-" + tag));

            Assert.Equal($"down-{tag}\n", suite.Ok("ps", "-a", "--filter", "exited=4", "--format", "{{.Names}}"));
            Assert.Equal($"up-{tag}\n", suite.Ok("ps", "-a", "--filter", "status=running", "--filter", "label=suite=" + tag, "--format", "{{.Names}}"));
            Assert.Equal($"{running}\n", suite.Ok("ps", "-q", "--no-trunc", "--filter", "name=up-" + tag));
            Assert.Equal($"{exited[..12]}\n", suite.Ok("ps", "-l", "-q"));
            Assert.Equal(2, suite.Ok("ps", "-a", "--filter", "ancestor=busybox", "-q").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            using JsonDocument row = JsonDocument.Parse(suite.Ok("ps", "--format", "json", "--filter", "id=" + running[..6]));
            Assert.Equal("running", row.RootElement.GetProperty("State").GetString());
            Assert.Contains("Exited (4)", suite.Ok("ps", "-a", "--filter", "name=down-" + tag));

            using JsonDocument inspect = JsonDocument.Parse(suite.Ok("inspect", running));
            JsonElement c = inspect.RootElement[0];
            Assert.Equal(running, c.GetProperty("Id").GetString());
            Assert.Equal("/up-" + tag, c.GetProperty("Name").GetString());
            Assert.True(c.GetProperty("State").GetProperty("Running").GetBoolean());
            Assert.Equal(tag, c.GetProperty("Config").GetProperty("Labels").GetProperty("suite").GetString());
            Assert.Equal("sleep", c.GetProperty("Path").GetString());
            Assert.True(c.GetProperty("HostConfig").TryGetProperty("Memory", out _));
            Assert.Equal(1, suite.Run("inspect", "no-such-thing-" + tag).Exit);
        }
        finally
        {
            suite.Run("rm", "-f", running, exited);
        }
    }
}
