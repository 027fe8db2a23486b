using System.Globalization;
using Skiff.Cgroups.Stats;
using Skiff.Linux;

namespace Skiff.Cgroups.V1;

/// <summary>cpuset: cpus and mems. A new v1 cpuset cgroup starts empty and admits no process until both are copied from its parent.</summary>
internal sealed class CpusetV1 : IV1Controller
{
    public string Name => "cpuset";
    public string? Serves => "cpuset";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Cpu is not { } c) return;
        if (!string.IsNullOrEmpty(c.Cpus)) CgroupFile.Write(dir, "cpuset.cpus", c.Cpus);
        if (!string.IsNullOrEmpty(c.Mems)) CgroupFile.Write(dir, "cpuset.mems", c.Mems);
    }

    /// <summary>
    /// Copies cpus and mems from the parent where the cgroup has none (a freshly made directory).
    /// A parent that is itself still empty is filled first: another process may have made it an
    /// instant ago and not yet filled it (concurrent creates under one new parent hit ENOSPC).
    /// </summary>
    public static void InheritFromParent(string dir)
    {
        string parent = Path.GetDirectoryName(dir)!;
        foreach (string file in new[] { "cpuset.cpus", "cpuset.mems" })
        {
            if (CgroupFile.Read(dir, file).Trim().Length > 0) continue;
            string value = CgroupFile.Read(parent, file).Trim();
            if (value.Length == 0)
            {
                InheritFromParent(parent);
                value = CgroupFile.Read(parent, file).Trim();
            }
            CgroupFile.Write(dir, file, value);
        }
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        var s = stats.Cpuset;
        s.Cpus = List(CgroupFile.Read(dir, "cpuset.cpus").Trim(), dir, "cpuset.cpus");
        s.Mems = List(CgroupFile.Read(dir, "cpuset.mems").Trim(), dir, "cpuset.mems");
        s.CpuExclusive = Flag(dir, "cpuset.cpu_exclusive");
        s.MemHardwall = Flag(dir, "cpuset.mem_hardwall");
        s.MemExclusive = Flag(dir, "cpuset.mem_exclusive");
        s.MemoryMigrate = Flag(dir, "cpuset.memory_migrate");
        s.MemorySpreadPage = Flag(dir, "cpuset.memory_spread_page");
        s.MemorySpreadSlab = Flag(dir, "cpuset.memory_spread_slab");
        s.MemoryPressure = Flag(dir, "cpuset.memory_pressure");
        s.SchedLoadBalance = Flag(dir, "cpuset.sched_load_balance");
        string? level = CgroupFile.ReadIfExists(dir, "cpuset.sched_relax_domain_level");
        s.SchedRelaxDomainLevel = level is null ? 0 : long.Parse(level.Trim(), CultureInfo.InvariantCulture);
    }

    private static ulong Flag(string dir, string file) => CgroupFile.ReadUIntIfExists(dir, file) ?? 0;

    /// <summary>Expands "0-2,5" to [0, 1, 2, 5].</summary>
    internal static List<ushort> List(string text, string dir, string file)
    {
        IReadOnlyList<CpuRange> ranges;
        try { ranges = CpuList.Parse(text); }
        catch (FormatException) { throw CgroupFile.Malformed(dir, file, text); }
        if (ranges.Count > 0 && CpuList.Highest(ranges) > ushort.MaxValue) throw CgroupFile.Malformed(dir, file, text);
        var numbers = new List<ushort>();
        foreach (int n in CpuList.Numbers(ranges)) numbers.Add((ushort)n);
        return numbers;
    }
}
