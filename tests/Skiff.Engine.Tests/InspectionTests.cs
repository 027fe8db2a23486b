using System.Text.Json;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>rename, top, stats, update, port and container prune on live containers.</summary>
[Collection(EngineCollection.Name)]
public sealed class InspectionTests(EngineSuite suite)
{
    [Fact]
    public void Rename_top_and_stats_see_the_running_container()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string id = suite.Ok("run", "-d", "--name", "old-" + tag, "-m", "32m", "busybox", "sh", "-c", "sleep 1000 & sleep 999").Trim();
        try
        {
            suite.Ok("rename", "old-" + tag, "new-" + tag);
            Assert.Equal($"/new-{tag}\n", suite.Ok("inspect", "-f", "{{.Name}}", id));
            Assert.Equal(1, suite.Run("inspect", "old-" + tag).Exit);

            string[] top = suite.Ok("top", "new-" + tag).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("UID", top[0]);
            // busybox sh execs its last command: sleep 999 is the init, sleep 1000 its child.
            Assert.Equal(2, top.Length - 1);
            Assert.Contains(top, l => l.EndsWith("sleep 1000"));
            Assert.Contains(top, l => l.EndsWith("sleep 999"));
            string[] custom = suite.Ok("top", id, "-o", "pid,comm").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Matches(@"^\s*PID\s+COMMAND$", custom[0]);
            Assert.Equal(2, custom.Length - 1);

            string stats = suite.Ok("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}} {{.PIDs}}", id);
            Assert.Matches($@"^new-{tag} [0-9.]+[KMG]?i?B / 32MiB 2\n$", stats);
            using JsonDocument row = JsonDocument.Parse(suite.Ok("stats", "--no-stream", "--format", "json", id));
            Assert.EndsWith("%", row.RootElement.GetProperty("CPUPerc").GetString());
            string table = suite.Ok("stats", "--no-stream", id);
            Assert.Matches(@"^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE / LIMIT\s+MEM %\s+NET I/O\s+BLOCK I/O\s+PIDS", table);
            Assert.Equal("", suite.Ok("port", id));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void Update_changes_the_live_cgroup_and_the_next_start()
    {
        string id = suite.Ok("run", "-d", "-m", "64m", "--pids-limit", "50", "busybox", "sleep", "1000").Trim();
        try
        {
            suite.Ok("update", "-m", "48m", "--memory-swap", "96m", "--pids-limit", "20", "--restart", "on-failure:3", id);
            Assert.Equal((48L << 20).ToString(), CgroupFs.Read(suite.CgroupPath(id), "memory.limit_in_bytes"));
            Assert.Equal("20", CgroupFs.Read(suite.CgroupPath(id), "pids.max"));
            Assert.Equal("50331648 20 on-failure 3\n", suite.Ok("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", id));
            suite.Ok("restart", "-t", "0", id);
            Assert.Equal("20", CgroupFs.Read(suite.CgroupPath(id), "pids.max"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void Container_prune_removes_only_stopped_containers()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string running = suite.Ok("run", "-d", "-l", "p=" + tag, "busybox", "sleep", "1000").Trim();
        string exited = suite.Ok("run", "-d", "-l", "p=" + tag, "busybox", "true").Trim();
        string created = suite.Ok("create", "-l", "p=" + tag, "busybox", "true").Trim();
        try
        {
            suite.Ok("wait", exited);
            SkiffResult refused = suite.Run("container", "prune");
            Assert.NotEqual(0, refused.Exit);
            string pruned = suite.Ok("container", "prune", "-f", "--filter", "label=p=" + tag);
            Assert.Contains(exited, pruned);
            Assert.Contains(created, pruned);
            Assert.DoesNotContain(running, pruned);
            Assert.Equal(running[..12] + "\n", suite.Ok("ps", "-aq", "--filter", "label=p=" + tag));
        }
        finally
        {
            suite.Run("rm", "-f", running, exited, created);
        }
    }

    [Fact]
    public void Inspect_shows_v_binds_and_named_volumes_in_binds_and_anonymous_ones_in_config_volumes()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string host = Path.Combine(suite.RunDir, "binds-" + tag);
        Directory.CreateDirectory(host);
        string id = suite.Ok("create", "-v", $"named-{tag}:/named", "-v", "/anonymous", "-v", $"{host}:/host:ro",
            "--mount", $"type=volume,source=mounted-{tag},target=/mounted", "busybox", "true").Trim();
        try
        {
            using JsonDocument inspect = JsonDocument.Parse(suite.Ok("inspect", id));
            JsonElement container = inspect.RootElement[0];
            // As Docker: -v with a source (a host path or a volume's name) in Binds; -v DST alone is an
            // anonymous volume, listed in Config.Volumes; --mount in neither; every volume in Mounts.
            Assert.Equal([$"named-{tag}:/named", $"{host}:/host:ro"], container.GetProperty("HostConfig").GetProperty("Binds").EnumerateArray().Select(b => b.GetString()));
            Assert.Equal(["/anonymous"], container.GetProperty("Config").GetProperty("Volumes").EnumerateObject().Select(p => p.Name));
            Assert.Equal(["/anonymous", "/host", "/mounted", "/named"], container.GetProperty("Mounts").EnumerateArray().Select(m => m.GetProperty("Destination").GetString()!).Order(StringComparer.Ordinal));
        }
        finally
        {
            suite.Run("rm", "-v", id);
            suite.Run("volume", "rm", $"named-{tag}", $"mounted-{tag}");
        }
    }
}
