using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V2;

/// <summary>rdma: rdma.max.</summary>
internal sealed class RdmaV2 : IV2Controller
{
    public string Name => "rdma";

    public void Apply(string dir, ResourceRequest request) => RdmaLimits.Apply(dir, request);

    public void ReadStats(string dir, CgroupStats stats)
    {
    }
}
