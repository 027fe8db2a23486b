using System.Globalization;
using Skiff.Cgroups.Stats;
using Skiff.Linux;

namespace Skiff.Cgroups.V1;

/// <summary>cpu: shares, CFS quota/period/burst, idle, and realtime runtime/period.</summary>
internal sealed class CpuV1 : IV1Controller
{
    public string Name => "cpu";
    public string? Serves => "cpu";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Cpu is not { } c) return;
        if (c.Shares is { } shares and not 0)
        {
            CgroupFile.Write(dir, "cpu.shares", Number(shares));
            // The kernel clamps out-of-range shares silently; say so instead of running with another value.
            ulong actual = CgroupFile.ReadUInt(dir, "cpu.shares");
            if (actual != shares)
                throw new CgroupException($"cgroup: cpu shares {shares} is out of range: the kernel set {actual} ({(shares > actual ? "maximum" : "minimum")} allowed)");
        }
        WriteBandwidth(dir, c.Quota ?? 0, c.Period ?? 0, c.Burst);
        if (c.Idle is { } idle) CgroupFile.Write(dir, "cpu.idle", Number(idle));
        WriteRealtime(dir, c.RealtimeRuntime ?? 0, c.RealtimePeriod ?? 0);
    }

    // The kernel checks quota/period/burst against each other and the parent at every write: a period or
    // burst refused now may be accepted once the quota changed, so it is retried after the quota.
    private static void WriteBandwidth(string dir, long quota, ulong period, ulong? burst)
    {
        bool retryPeriod = period != 0 && !TryOrDefer(dir, "cpu.cfs_period_us", Number(period), quota != 0);
        bool retryBurst = burst is { } b && !TryOrDefer(dir, "cpu.cfs_burst_us", Number(b), quota != 0, missingIsFine: true);
        if (quota == 0) return;
        CgroupFile.Write(dir, "cpu.cfs_quota_us", Number(quota));
        if (retryPeriod) CgroupFile.Write(dir, "cpu.cfs_period_us", Number(period));
        if (retryBurst) CgroupFile.Write(dir, "cpu.cfs_burst_us", Number(burst!.Value));
    }

    private static void WriteRealtime(string dir, long runtime, ulong period)
    {
        bool retryPeriod = period != 0 && !TryOrDefer(dir, "cpu.rt_period_us", Number(period), runtime != 0);
        if (runtime == 0) return;
        CgroupFile.Write(dir, "cpu.rt_runtime_us", Number(runtime));
        if (retryPeriod) CgroupFile.Write(dir, "cpu.rt_period_us", Number(period));
    }

    /// <summary>True when written; false when refused with EINVAL and a later write may make it valid.</summary>
    private static bool TryOrDefer(string dir, string file, string value, bool canRetry, bool missingIsFine = false)
    {
        int errno = CgroupFile.TryWrite(dir + "/" + file, value);
        if (errno == 0) return true;
        // cpu.cfs_burst_us exists only since Linux 5.14; without it there is no burst to set.
        if (missingIsFine && errno == Errno.ENOENT) return true;
        if (errno == Errno.EINVAL && canRetry) return false;
        throw new CgroupException($"cgroup: writing \"{value}\" to {dir}/{file}: {Errno.Describe(errno)}", errno);
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        var values = CgroupFile.ReadKeyValues(dir, "cpu.stat");
        stats.Cpu.Throttling.Periods = values.GetValueOrDefault("nr_periods");
        stats.Cpu.Throttling.ThrottledPeriods = values.GetValueOrDefault("nr_throttled");
        stats.Cpu.Throttling.ThrottledTime = values.GetValueOrDefault("throttled_time");
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
    private static string Number(ulong n) => n.ToString(CultureInfo.InvariantCulture);
}
