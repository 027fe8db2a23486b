using System.Globalization;
using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>hugetlb: hugetlb.&lt;size&gt;.limit_in_bytes, and the reservation limit where the kernel has it.</summary>
internal sealed class HugetlbV1 : IV1Controller
{
    public string Name => "hugetlb";
    public string? Serves => "hugetlb";

    public void Apply(string dir, ResourceRequest request) =>
        HugePages.Apply(dir, request, ".limit_in_bytes", ".rsvd.limit_in_bytes");

    public void ReadStats(string dir, CgroupStats stats)
    {
        foreach (string size in HugePages.Sizes())
        {
            string prefix = $"hugetlb.{size}";
            stats.Hugetlb[size] = new HugetlbStats
            {
                Usage = CgroupFile.ReadUInt(dir, prefix + ".usage_in_bytes"),
                Max = CgroupFile.ReadUInt(dir, prefix + ".max_usage_in_bytes"),
                Failcnt = CgroupFile.ReadUInt(dir, prefix + ".failcnt"),
            };
        }
    }
}
