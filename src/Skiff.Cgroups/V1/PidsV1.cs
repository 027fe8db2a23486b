using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>pids: pids.max, the same file and values in v1 and v2.</summary>
internal sealed class PidsV1 : IV1Controller
{
    public string Name => "pids";
    public string? Serves => "pids";

    public void Apply(string dir, ResourceRequest request) => PidsLimit.Apply(dir, request);

    public void ReadStats(string dir, CgroupStats stats) => PidsLimit.ReadStats(dir, stats);
}
