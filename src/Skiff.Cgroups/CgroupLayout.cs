using Skiff.Linux;

namespace Skiff.Cgroups;

/// <summary>
/// The host's cgroup hierarchies, read once from /proc/self/mountinfo and /proc/self/cgroup: each v1
/// mount with its controllers, and the cgroup2 mount with the controllers it carries.
/// </summary>
public sealed class CgroupLayout
{
    // Options of a v1 cgroup mount that are controllers; the rest (rw, clone_children, xattr, ...) are not.
    private static readonly HashSet<string> V1Controllers =
    [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio",
        "perf_event", "hugetlb", "pids", "rdma", "misc",
    ];

    private CgroupLayout(IReadOnlyList<CgroupHierarchy> hierarchies, string? unifiedMountPoint, string unifiedRoot,
        string? unifiedOwnCgroup, IReadOnlyList<string> unifiedControllers, string selfCgroup)
    {
        SelfCgroup = selfCgroup;
        Hierarchies = hierarchies;
        UnifiedMountPoint = unifiedMountPoint;
        UnifiedRoot = unifiedRoot;
        UnifiedOwnCgroup = unifiedOwnCgroup ?? "/";
        UnifiedControllers = unifiedControllers;
        Mode = hierarchies.Count == 0 ? CgroupMode.Unified
            : unifiedMountPoint is null ? CgroupMode.Legacy
            : CgroupMode.Hybrid;
    }

    public CgroupMode Mode { get; }

    /// <summary>The v1 hierarchies (controllers and named ones like name=systemd); empty in unified mode.</summary>
    public IReadOnlyList<CgroupHierarchy> Hierarchies { get; }

    /// <summary>Where cgroup2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts), or null.</summary>
    public string? UnifiedMountPoint { get; }

    /// <summary>The cgroup2 mount's root inside the hierarchy (not "/" inside a cgroup namespace).</summary>
    public string UnifiedRoot { get; }

    /// <summary>This process's cgroup in the v2 hierarchy ("0::" line of /proc/self/cgroup).</summary>
    public string UnifiedOwnCgroup { get; }

    /// <summary>The text of /proc/self/cgroup this layout was read with: where relative cgroupsPaths start.</summary>
    public string SelfCgroup { get; }

    /// <summary>Controllers the cgroup2 mount carries (its top cgroup.controllers), e.g. only "hugetlb" on a hybrid host.</summary>
    public IReadOnlyList<string> UnifiedControllers { get; }

    /// <summary>The v1 hierarchy carrying a controller (or "name=systemd"), or null when it is not mounted as v1.</summary>
    public CgroupHierarchy? HierarchyOf(string controller) => Hierarchies.FirstOrDefault(h => h.Has(controller));

    /// <summary>The mount point of a v1 controller's hierarchy, or null.</summary>
    public string? MountPointOf(string controller) => HierarchyOf(controller)?.MountPoint;

    /// <summary>
    /// The same hierarchies as seen by a process whose /proc/self/cgroup read <paramref name="selfCgroup"/>:
    /// a relative cgroupsPath resolves as it did for the runtime that created the container.
    /// </summary>
    public CgroupLayout AsSeenFrom(string selfCgroup)
    {
        var own = ParseSelfCgroup(selfCgroup);
        var hierarchies = Hierarchies.Select(h => h with { OwnCgroup = OwnCgroupOf(own, h.Controllers) }).ToList();
        return new CgroupLayout(hierarchies, UnifiedMountPoint, UnifiedRoot, own.GetValueOrDefault(""), UnifiedControllers, selfCgroup);
    }

    public static CgroupLayout Detect() => Detect(MountTable.Read());

    /// <summary>The layout from a mount table the caller already read (it needs the table for more than cgroups).</summary>
    public static CgroupLayout Detect(MountTable mounts)
    {
        string selfCgroup = File.ReadAllText("/proc/self/cgroup");
        string? unifiedMount = FindUnifiedMount(mounts);
        string controllers = unifiedMount is null ? "" : CgroupFile.ReadIfExists(unifiedMount, "cgroup.controllers") ?? "";
        return Parse(mounts, selfCgroup, controllers);
    }

    /// <summary>Builds a layout from the text of mountinfo, /proc/self/cgroup and the v2 top cgroup.controllers.</summary>
    internal static CgroupLayout Parse(string mountInfo, string selfCgroup, string unifiedControllers) =>
        Parse(MountTable.Parse(mountInfo), selfCgroup, unifiedControllers);

    private static CgroupLayout Parse(MountTable mounts, string selfCgroup, string unifiedControllers)
    {
        var own = ParseSelfCgroup(selfCgroup);
        var hierarchies = new List<CgroupHierarchy>();
        string? unifiedMount = null, unifiedRoot = "/";
        foreach (MountEntry mount in mounts.Entries)
        {
            if (mount.FsType == "cgroup2")
            {
                // Several cgroup2 mounts can exist (bind mounts, a container's): the one under /sys/fs/cgroup is the host's.
                if (unifiedMount is null || (!unifiedMount.StartsWith("/sys/fs/cgroup", StringComparison.Ordinal)
                                              && mount.MountPoint.StartsWith("/sys/fs/cgroup", StringComparison.Ordinal)))
                {
                    unifiedMount = mount.MountPoint;
                    unifiedRoot = mount.Root;
                }
                continue;
            }
            if (mount.FsType != "cgroup") continue;
            var controllers = mount.SuperOptions.Split(',')
                .Where(o => V1Controllers.Contains(o) || o.StartsWith("name=", StringComparison.Ordinal))
                .ToList();
            if (controllers.Count == 0) continue;
            // A hierarchy mounted twice is the same hierarchy: keep the first mount.
            if (hierarchies.Any(h => h.Controllers.SequenceEqual(controllers))) continue;
            hierarchies.Add(new CgroupHierarchy(mount.MountPoint, mount.Root, controllers, OwnCgroupOf(own, controllers)));
        }
        var v2Controllers = unifiedMount is null
            ? []
            : unifiedControllers.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToList();
        return new CgroupLayout(hierarchies, unifiedMount, unifiedRoot, own.GetValueOrDefault(""), v2Controllers, selfCgroup);
    }

    private static string OwnCgroupOf(Dictionary<string, string> own, IEnumerable<string> controllers) =>
        controllers.Select(c => own.GetValueOrDefault(c)).FirstOrDefault(p => p is not null) ?? "/";

    /// <summary>The host directory of a cgroup given as a path inside a hierarchy mounted at mountPoint with root.</summary>
    internal static string Below(string mountPoint, string root, string cgroup)
    {
        // Inside a cgroup namespace or a bind mount the mount shows only the subtree under root.
        string relative = root != "/" && (cgroup == root || cgroup.StartsWith(root + "/", StringComparison.Ordinal))
            ? cgroup[root.Length..]
            : cgroup;
        return relative is "" or "/" ? mountPoint : mountPoint.TrimEnd('/') + relative;
    }

    private static Dictionary<string, string> ParseSelfCgroup(string text)
    {
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[1] == "") own[""] = parts[2];
            else foreach (string controller in parts[1].Split(',')) own[controller] = parts[2];
        }
        return own;
    }

    private static string? FindUnifiedMount(MountTable mounts)
    {
        string? found = null;
        foreach (MountEntry mount in mounts.Entries)
        {
            if (mount.FsType != "cgroup2") continue;
            if (mount.MountPoint.StartsWith("/sys/fs/cgroup", StringComparison.Ordinal)) return mount.MountPoint;
            found ??= mount.MountPoint;
        }
        return found;
    }
}
