using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V2;

/// <summary>One v2 controller: how the request's resources become its files, and how its files become stats.</summary>
internal interface IV2Controller
{
    /// <summary>The kernel's name for it, as listed in cgroup.controllers; also the generic resource name it serves.</summary>
    string Name { get; }

    void Apply(string dir, ResourceRequest request);

    void ReadStats(string dir, CgroupStats stats);
}
