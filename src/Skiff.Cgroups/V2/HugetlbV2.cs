using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V2;

/// <summary>hugetlb: hugetlb.&lt;size&gt;.max and hugetlb.&lt;size&gt;.rsvd.max.</summary>
internal sealed class HugetlbV2 : IV2Controller
{
    public string Name => "hugetlb";

    public void Apply(string dir, ResourceRequest request) => HugePages.Apply(dir, request, ".max", ".rsvd.max");

    public void ReadStats(string dir, CgroupStats stats)
    {
        foreach (string size in HugePages.Sizes())
        {
            string prefix = $"hugetlb.{size}";
            stats.Hugetlb[size] = new HugetlbStats
            {
                Usage = CgroupFile.ReadUInt(dir, prefix + ".current"),
                Failcnt = CgroupFile.ReadKeyValues(dir, prefix + ".events").GetValueOrDefault("max"),
            };
        }
    }
}
