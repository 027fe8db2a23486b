using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V2;

/// <summary>pids: pids.max.</summary>
internal sealed class PidsV2 : IV2Controller
{
    public string Name => "pids";

    public void Apply(string dir, ResourceRequest request) => PidsLimit.Apply(dir, request);

    public void ReadStats(string dir, CgroupStats stats) => PidsLimit.ReadStats(dir, stats);
}
