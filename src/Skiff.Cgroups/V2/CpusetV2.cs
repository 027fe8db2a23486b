using Skiff.Cgroups.Stats;
using Skiff.Cgroups.V1;

namespace Skiff.Cgroups.V2;

/// <summary>cpuset: cpuset.cpus and cpuset.mems (v2 cgroups inherit effective values, no copying needed).</summary>
internal sealed class CpusetV2 : IV2Controller
{
    public string Name => "cpuset";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Cpu is not { } c) return;
        if (!string.IsNullOrEmpty(c.Cpus)) CgroupFile.Write(dir, "cpuset.cpus", c.Cpus);
        if (!string.IsNullOrEmpty(c.Mems)) CgroupFile.Write(dir, "cpuset.mems", c.Mems);
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        stats.Cpuset.Cpus = CpusetV1.List(CgroupFile.Read(dir, "cpuset.cpus.effective").Trim(), dir, "cpuset.cpus.effective");
        stats.Cpuset.Mems = CpusetV1.List(CgroupFile.Read(dir, "cpuset.mems.effective").Trim(), dir, "cpuset.mems.effective");
    }
}
