using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>rdma: rdma.max per device, the same file in v1 and v2.</summary>
internal sealed class RdmaV1 : IV1Controller
{
    public string Name => "rdma";
    public string? Serves => "rdma";

    public void Apply(string dir, ResourceRequest request) => RdmaLimits.Apply(dir, request);

    public void ReadStats(string dir, CgroupStats stats)
    {
    }
}
