using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>One v1 controller: how the request's resources become its files, and how its files become stats.</summary>
internal interface IV1Controller
{
    /// <summary>The kernel's name for it, as in mount options and /proc/self/cgroup.</summary>
    string Name { get; }

    /// <summary>The generic resource name it serves in <see cref="ResourceRequest.Needs"/> ("io" for blkio), or null.</summary>
    string? Serves { get; }

    void Apply(string dir, ResourceRequest request);

    void ReadStats(string dir, CgroupStats stats);
}
