using System.Diagnostics;
using System.Text.Json;
using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>Health checks run without a daemon and show in ps and inspect.</summary>
[Collection(EngineCollection.Name)]
public sealed class HealthTests(EngineSuite suite)
{
    private string Health(string id) => suite.Ok("inspect", "-f", "{{.State.Health.Status}}", id).Trim();

    private void WaitFor(string id, string status)
    {
        Stopwatch clock = Stopwatch.StartNew();
        while (Health(id) != status && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(100);
    }

    [Fact]
    public void A_health_check_turns_unhealthy_then_healthy_and_shows_in_ps()
    {
        string id = suite.Ok("run", "-d", "--health-cmd", "test -e /healthy-flag", "--health-interval", "200ms", "--health-retries", "2", "busybox", "sleep", "1000").Trim();
        try
        {
            WaitFor(id, "unhealthy");
            Assert.Equal("unhealthy", Health(id));
            Assert.Contains("(unhealthy)", suite.Ok("ps", "--filter", "id=" + id));
            Assert.Equal(id[..12] + "\n", suite.Ok("ps", "-q", "--filter", "health=unhealthy"));

            suite.Ok("exec", id, "touch", "/healthy-flag");
            WaitFor(id, "healthy");
            Assert.Equal("healthy", Health(id));
            Assert.Contains("(healthy)", suite.Ok("ps", "--filter", "id=" + id));
            using JsonDocument health = JsonDocument.Parse(suite.Ok("inspect", "-f", "{{json .State.Health}}", id));
            Assert.Equal(0, health.RootElement.GetProperty("FailingStreak").GetInt32());
            JsonElement log = health.RootElement.GetProperty("Log");
            Assert.InRange(log.GetArrayLength(), 2, 5);
            Assert.Equal(0, log[log.GetArrayLength() - 1].GetProperty("ExitCode").GetInt32());
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void Healthcheck_run_checks_once_by_hand_and_the_monitor_ends_with_the_container()
    {
        string id = suite.Ok("run", "-d", "--health-cmd", "echo checked; exit 3", "--health-interval", "1h", "busybox", "sleep", "1000").Trim();
        try
        {
            Assert.Equal("starting", Health(id));
            SkiffResult once = suite.Run("healthcheck", "run", id);
            Assert.Equal(1, once.Exit);
            Assert.Equal("unhealthy\n", once.Out);
            Assert.Contains("checked", suite.Ok("inspect", "-f", "{{json .State.Health.Log}}", id));
            Assert.Single(MonitorsOf(id));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
        Stopwatch clock = Stopwatch.StartNew();
        while (MonitorsOf(id).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(50);
        Assert.Empty(MonitorsOf(id));
        SkiffResult none = suite.Run("healthcheck", "run", id);
        Assert.NotEqual(0, none.Exit);
        string plain = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        try
        {
            SkiffResult noCheck = suite.Run("healthcheck", "run", plain);
            Assert.Equal(125, noCheck.Exit);
            Assert.Contains("has no defined healthcheck", noCheck.Error);
            Assert.Empty(MonitorsOf(plain));
        }
        finally
        {
            suite.Run("rm", "-f", plain);
        }
    }

    /// <summary>The periodic-check processes of one container (the one-hour interval keeps the first alive until rm).</summary>
    private static List<int> MonitorsOf(string id) =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(int.Parse!)
            .Where(pid =>
            {
                try
                {
                    string cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
                    return cmdline.Contains("healthcheck-monitor") && cmdline.Contains(id);
                }
                catch (IOException)
                {
                    return false;
                }
            })];
}
