namespace Skiff.Cgroups;

/// <summary>How the host arranges its cgroup hierarchies.</summary>
public enum CgroupMode
{
    /// <summary>cgroup v1 only: one hierarchy per controller (or co-mounted group of controllers).</summary>
    Legacy,

    /// <summary>v1 hierarchies for most controllers plus a cgroup2 mount carrying the rest (often none).</summary>
    Hybrid,

    /// <summary>cgroup v2 only: one hierarchy, controllers enabled per subtree.</summary>
    Unified,
}
