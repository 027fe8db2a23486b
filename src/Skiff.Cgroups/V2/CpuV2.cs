using System.Globalization;
using Skiff.Cgroups.Stats;
using Skiff.Linux;

namespace Skiff.Cgroups.V2;

/// <summary>cpu: cpu.weight (from shares), cpu.max (quota and period), cpu.max.burst, cpu.idle.</summary>
internal sealed class CpuV2 : IV2Controller
{
    private const ulong DefaultPeriod = 100000;

    public string Name => "cpu";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Cpu is not { } c) return;
        if (c.RealtimeRuntime is not (null or 0) || c.RealtimePeriod is not (null or 0))
            throw new CgroupException("cgroup: realtime cpu runtime and period exist only in cgroup v1; this host runs cgroup v2");
        if (c.Idle is { } idle) CgroupFile.Write(dir, "cpu.idle", idle.ToString(CultureInfo.InvariantCulture));
        if (c.Shares is { } shares and not 0)
            CgroupFile.Write(dir, "cpu.weight", Conversions.CpuSharesToWeight(shares).ToString(CultureInfo.InvariantCulture));
        long quota = c.Quota ?? 0;
        ulong period = c.Period ?? 0;
        // The burst may only fit once the quota changed: retry it after cpu.max when refused.
        string? burst = c.Burst?.ToString(CultureInfo.InvariantCulture);
        if (burst is not null)
        {
            int errno = CgroupFile.TryWrite(dir + "/cpu.max.burst", burst);
            if (errno == 0) burst = null;
            else if (errno != Errno.EINVAL || (quota == 0 && period == 0))
                throw new CgroupException($"cgroup: writing \"{burst}\" to {dir}/cpu.max.burst: {Errno.Describe(errno)}", errno);
        }
        if (quota == 0 && period == 0) return;
        // cpu.max holds both numbers: keep the one not being changed.
        string[] current = CgroupFile.Read(dir, "cpu.max").Split(' ', StringSplitOptions.TrimEntries);
        string quotaText = quota switch { > 0 => quota.ToString(CultureInfo.InvariantCulture), -1 => "max", _ => current[0] };
        string periodText = period != 0 ? period.ToString(CultureInfo.InvariantCulture)
            : current.Length > 1 ? current[1] : DefaultPeriod.ToString(CultureInfo.InvariantCulture);
        CgroupFile.Write(dir, "cpu.max", $"{quotaText} {periodText}");
        if (burst is not null) CgroupFile.Write(dir, "cpu.max.burst", burst);
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        var values = CgroupFile.ReadKeyValues(dir, "cpu.stat");
        stats.Cpu.Usage.Total = values.GetValueOrDefault("usage_usec") * 1000;
        stats.Cpu.Usage.User = values.GetValueOrDefault("user_usec") * 1000;
        stats.Cpu.Usage.Kernel = values.GetValueOrDefault("system_usec") * 1000;
        stats.Cpu.Throttling.Periods = values.GetValueOrDefault("nr_periods");
        stats.Cpu.Throttling.ThrottledPeriods = values.GetValueOrDefault("nr_throttled");
        stats.Cpu.Throttling.ThrottledTime = values.GetValueOrDefault("throttled_usec") * 1000;
    }
}
