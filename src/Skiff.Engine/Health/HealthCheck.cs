using System.Diagnostics;
using Skiff.Engine.Containers;
using Skiff.Images.Fs;

namespace Skiff.Engine.Health;

/// <summary>A container's health check: what to run and how often (Docker's HEALTHCHECK, durations as TimeSpans).</summary>
public sealed class HealthCheckConfig
{
    /// <summary>["CMD", args...], ["CMD-SHELL", command] or ["NONE"].</summary>
    public List<string> Test { get; set; } = [];
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan StartPeriod { get; set; }
    public int Retries { get; set; } = 3;
}

/// <summary>inspect's State.Health.</summary>
public sealed class HealthState
{
    /// <summary>starting, healthy or unhealthy.</summary>
    public string Status { get; set; } = "starting";
    public int FailingStreak { get; set; }
    public List<HealthResult> Log { get; set; } = [];
}

public sealed class HealthResult
{
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset End { get; set; }
    public int ExitCode { get; set; }
    public string Output { get; set; } = "";
}

/// <summary>
/// Runs health checks without a daemon: one check is an exec into the container through the OCI
/// runtime; the periodic checks are a small skiff process per container with a health check
/// (`skiff container healthcheck-monitor ID`, started detached with the container), which ends by
/// itself once that run of the container has ended.
/// </summary>
public sealed class HealthChecker(ContainerEngine engine)
{
    private const int LogEntries = 5;
    private const int MaxOutput = 4096;

    /// <summary>The check the container runs: the request's flags over the image's HEALTHCHECK; null when none or disabled.</summary>
    public static HealthCheckConfig? ConfigOf(ContainerRequest request, Skiff.Images.Oci.HealthConfig? image)
    {
        if (request.NoHealthcheck) return null;
        HealthCheckConfig config = new();
        if (image is not null)
        {
            if (image.Test is { Count: > 0 } test) config.Test = [.. test];
            if (image.Interval is > 0) config.Interval = TimeSpan.FromTicks(image.Interval.Value / 100);
            if (image.Timeout is > 0) config.Timeout = TimeSpan.FromTicks(image.Timeout.Value / 100);
            if (image.StartPeriod is > 0) config.StartPeriod = TimeSpan.FromTicks(image.StartPeriod.Value / 100);
            if (image.Retries is > 0) config.Retries = image.Retries.Value;
        }
        HealthCheckConfig? asked = request.Healthcheck;
        if (asked is not null)
        {
            if (asked.Test.Count > 0) config.Test = asked.Test;
            if (asked.Interval > TimeSpan.Zero) config.Interval = asked.Interval;
            if (asked.Timeout > TimeSpan.Zero) config.Timeout = asked.Timeout;
            if (asked.StartPeriod > TimeSpan.Zero) config.StartPeriod = asked.StartPeriod;
            if (asked.Retries > 0) config.Retries = asked.Retries;
        }
        return config.Test.Count == 0 || config.Test[0] == "NONE" ? null : config;
    }

    /// <summary>Runs the check once and records it; returns whether it passed.</summary>
    public bool RunOnce(ContainerRecord record, HealthCheckConfig config)
    {
        DateTimeOffset start = DateTimeOffset.UtcNow;
        (int exit, string output) = Exec(record, config);
        HealthResult result = new() { Start = start, End = DateTimeOffset.UtcNow, ExitCode = exit, Output = output };
        bool inStartPeriod = record.State.StartedAt is { } started && start - started < config.StartPeriod;
        engine.UpdateHealth(record.Id, health =>
        {
            health.Log.Add(result);
            if (health.Log.Count > LogEntries) health.Log.RemoveRange(0, health.Log.Count - LogEntries);
            if (exit == 0)
            {
                health.FailingStreak = 0;
                health.Status = "healthy";
            }
            else if (!inStartPeriod)
            {
                health.FailingStreak++;
                if (health.FailingStreak >= config.Retries) health.Status = "unhealthy";
            }
        });
        return exit == 0;
    }

    /// <summary>The periodic checks of one run of the container, until it stops or is removed.</summary>
    public void Monitor(string id)
    {
        ContainerRecord? record = engine.Database.Find(id);
        if (record is null) return;
        DateTimeOffset? run = record.State.StartedAt;
        HealthCheckConfig? config = ConfigOf(record.Request, engine.ImageHealthcheck(record));
        if (config is null) return;
        while (true)
        {
            if (!SleepWhileRunning(id, config.Interval)) return;
            record = engine.Database.Find(id);
            if (record is null || record.State.StartedAt != run || record.State.Status is not (ContainerStatus.Running or ContainerStatus.Paused)) return;
            if (engine.ReadExitFile(id) is not null) return;
            if (record.State.Status == ContainerStatus.Running) RunOnce(record, config);
        }
    }

    /// <summary>
    /// Waits one interval in short slices, so the monitor ends soon after its container does
    /// (conmon's exit file appears, or rm takes the bundle away) even with an interval of hours.
    /// </summary>
    private bool SleepWhileRunning(string id, TimeSpan interval)
    {
        DateTime until = DateTime.UtcNow + interval;
        while (true)
        {
            if (engine.ReadExitFile(id) is not null || !Directory.Exists(engine.Layout.Bundle(id))) return false;
            TimeSpan left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return true;
            Thread.Sleep(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    private (int Exit, string Output) Exec(ContainerRecord record, HealthCheckConfig config)
    {
        List<string> command = config.Test[0] switch
        {
            "CMD-SHELL" => ["/bin/sh", "-c", string.Join(' ', config.Test.Skip(1))],
            "CMD" => [.. config.Test.Skip(1)],
            _ => [.. config.Test],
        };
        ProcessStartInfo start = new(record.RuntimePath) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string arg in (IEnumerable<string>)["--root", engine.Layout.RuntimeRoot, "exec", record.Id, .. command]) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start) ?? throw new EngineException($"health check of {record.ShortId}: the runtime did not start");
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(config.Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"Health check exceeded timeout ({config.Timeout.TotalSeconds}s)");
        }
        string text = output.Result + error.Result;
        return (process.ExitCode, text.Length > MaxOutput ? text[..MaxOutput] : text);
    }
}
