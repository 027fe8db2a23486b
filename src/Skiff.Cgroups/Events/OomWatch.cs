namespace Skiff.Cgroups.Events;

/// <summary>What ended a wait for an OOM event.</summary>
public enum OomWaitResult
{
    /// <summary>The OOM killer acted in the cgroup (v2), or the cgroup hit its limit under OOM control (v1).</summary>
    Oom,

    /// <summary>The timeout passed without an event.</summary>
    Timeout,

    /// <summary>No more events will come: the cgroup was removed (v1) or has no processes left (v2).</summary>
    Ended,
}

/// <summary>A subscription to a cgroup's OOM events, as `runc events` reports them.</summary>
public abstract class OomWatch : IDisposable
{
    /// <summary>Blocks until an OOM event, the end of the cgroup, or the timeout (Timeout.InfiniteTimeSpan waits forever).</summary>
    public abstract OomWaitResult Wait(TimeSpan timeout);

    public abstract void Dispose();

    private protected static int Milliseconds(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
}
