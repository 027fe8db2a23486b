using System.Globalization;
using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups;

/// <summary>pids.max and pids.current, identical in both cgroup versions.</summary>
internal static class PidsLimit
{
    /// <summary>A positive limit is written as is, a negative one as "max"; 0 leaves the limit alone (runc 1.1's reading of an absent limit).</summary>
    public static void Apply(string dir, ResourceRequest request)
    {
        if (request.Resources.Pids is not { Limit: var limit and not 0 }) return;
        CgroupFile.Write(dir, "pids.max", limit > 0 ? limit.ToString(CultureInfo.InvariantCulture) : "max");
    }

    public static void ReadStats(string dir, CgroupStats stats)
    {
        stats.Pids.Current = CgroupFile.ReadUInt(dir, "pids.current");
        ulong max = CgroupFile.ReadUInt(dir, "pids.max");
        stats.Pids.Limit = max == ulong.MaxValue ? 0 : max;
    }
}
