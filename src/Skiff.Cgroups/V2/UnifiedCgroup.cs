using Skiff.Cgroups.Events;
using Skiff.Cgroups.Stats;
using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.V2;

/// <summary>
/// The cgroup v2 driver: one directory, controllers enabled down the tree through cgroup.subtree_control.
/// On a unified host it enables every available controller on the way down, as runc does; as the v2 half
/// of a hybrid host it enables a controller only when a resource needs it, and leaves alone the
/// controllers the v1 half serves.
/// </summary>
internal sealed class UnifiedCgroup : ICgroup
{
    private static readonly IV2Controller[] Controllers =
    [
        new CpusetV2(), new DevicesV2(), new MemoryV2(), new CpuV2(), new PidsV2(), new IoV2(), new HugetlbV2(), new RdmaV2(),
    ];

    private readonly CgroupLayout _layout;
    private readonly string _mountPoint;
    private readonly bool _enableAll;
    private readonly Func<string, bool> _servedElsewhere;
    private readonly DirectoryTree _created = new();

    public UnifiedCgroup(CgroupLayout layout, CgroupsPath path, bool enableAllControllers, Func<string, bool>? servedElsewhere = null)
    {
        _layout = layout;
        _mountPoint = layout.UnifiedMountPoint ?? throw new CgroupException("cgroup: the host has no cgroup2 mount");
        _enableAll = enableAllControllers;
        _servedElsewhere = servedElsewhere ?? (_ => false);
        Path = path.Value;
        string parent = path.IsAbsolute ? _mountPoint : CgroupLayout.Below(_mountPoint, layout.UnifiedRoot, RelativeBase(layout));
        Directory = parent.TrimEnd('/') + (path.IsAbsolute ? path.Value : "/" + path.Value);
    }

    public string Path { get; }

    /// <summary>
    /// Where a relative cgroupsPath starts. On a pure v2 host, as in runc's fs2 driver, that is the
    /// parent of this process's own cgroup: the own cgroup holds the runtime itself, and v2's "no
    /// internal processes" rule would refuse to enable controllers for a child of it. On a hybrid host
    /// the unified tree follows the v1 hierarchies (the own cgroup), so the two stay side by side.
    /// </summary>
    private static string RelativeBase(CgroupLayout layout)
    {
        string own = layout.UnifiedOwnCgroup;
        if (layout.Mode != CgroupMode.Unified || own == "/") return own;
        int slash = own.TrimEnd('/').LastIndexOf('/');
        return slash <= 0 ? "/" : own[..slash];
    }

    public string Directory { get; }

    public string? UnifiedDirectory => Directory;

    // Device control is not a controller in v2 (it is cgroup BPF), so it is always at hand.
    internal bool Serves(string need) =>
        need == "unified" || (!_servedElsewhere(need) && (need == "devices" || _layout.UnifiedControllers.Contains(need)) && Controllers.Any(c => c.Name == need));

    public void Create()
    {
        _created.MakeAll(_mountPoint, Directory, null);
        if (_enableAll) EnableControllers(_layout.UnifiedControllers, required: false);
    }

    public void Apply(LinuxResources? r) => WriteServed(ResourceRequest.ForCreate(r));

    public void Update(LinuxResources r) => WriteServed(ResourceRequest.ForUpdate(r));

    private void WriteServed(ResourceRequest request)
    {
        request.EnsureServed(Serves, _layout);
        Write(request);
    }

    internal void Write(ResourceRequest request)
    {
        var needed = new HashSet<string>();
        foreach (var need in request.Needs())
            if (Serves(need.Controller)) needed.Add(need.Controller);
        // The v2 half of a hybrid host usually has nothing to do (unified keys count as a need).
        if (needed.Count == 0) return;
        // Create handed down what it could; a controller still missing is enabled now or explained.
        var available = Available();
        var missing = _layout.UnifiedControllers.Where(c => needed.Contains(c) && !available.Contains(c)).ToList();
        if (missing.Count > 0) EnableControllers(missing, required: true);
        foreach (var controller in Controllers)
            if (needed.Contains(controller.Name)) controller.Apply(Directory, request);
        WriteUnifiedKeys(request.Resources.Unified);
    }

    // Keys are file names in this cgroup, values written as given: the spec's escape hatch to v2 files it has no field for.
    private void WriteUnifiedKeys(Dictionary<string, string>? keys)
    {
        foreach (var (key, value) in keys ?? [])
        {
            string controller = key.Split('.')[0];
            if (controller != "cgroup" && !Available().Contains(controller))
            {
                if (_layout.UnifiedControllers.Contains(controller) && !_servedElsewhere(controller))
                    EnableControllers([controller], required: true);
                else
                    throw new CgroupException($"cgroup: unified key \"{key}\" cannot be set: the {controller} controller is not available in {Directory}");
            }
            CgroupFile.Write(Directory, key, value);
        }
    }

    private string[] Available() =>
        (CgroupFile.ReadIfExists(Directory, "cgroup.controllers") ?? "").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Adds controllers to cgroup.subtree_control of every ancestor, top down, so the leaf gets their files.</summary>
    private void EnableControllers(IEnumerable<string> controllers, bool required)
    {
        var wanted = controllers.ToList();
        if (wanted.Count == 0) return;
        string root = _mountPoint.TrimEnd('/');
        string current = root;
        var levels = new List<string> { root };
        foreach (string part in Directory[(root.Length + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries).SkipLast(1))
            levels.Add(current += "/" + part);
        foreach (string level in levels)
        {
            // A cgroup with processes of its own cannot hand domain controllers down, and handing down
            // only the threaded ones (cpuset, pids) would make it a thread root whose children refuse
            // processes: leave such a level alone. The root is exempt from the rule.
            if (level != root && (CgroupFile.ReadIfExists(level, "cgroup.procs") ?? "").Trim().Length > 0)
            {
                if (!required) continue;
                throw new CgroupException(
                    $"cgroup: cannot enable {string.Join(", ", wanted)} for {Directory}: {level} has processes of its own, so it cannot hand controllers down");
            }
            var enabled = CgroupFile.Read(level, "cgroup.subtree_control").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            foreach (string controller in wanted.Except(enabled))
            {
                int errno = CgroupFile.TryWrite(level + "/cgroup.subtree_control", "+" + controller);
                if (errno != 0 && required)
                    throw new CgroupException($"cgroup: writing \"+{controller}\" to {level}/cgroup.subtree_control: {Errno.Describe(errno)}", errno);
            }
        }
    }

    public void AddProcess(int pid) => CgroupProcs.Add(Directory, pid);

    public void AddProcessBesidesUnified(int pid) { }

    public IReadOnlyList<int> Processes() => CgroupProcs.Recursive(Directory);

    public void Freeze() => FreezerV2.Freeze(Directory);

    public void Thaw() => FreezerV2.Thaw(Directory);

    public bool IsFrozen() => FreezerV2.IsFrozen(Directory);

    public void Destroy()
    {
        CgroupTree.Remove(Directory);
        _created.RemoveCreatedParents();
    }

    public IReadOnlyList<CgroupMountSource> MountSources() =>
        [new CgroupMountSource(_layout.Mode == CgroupMode.Hybrid ? "unified" : "", Directory, true, _layout.UnifiedControllers)];

    public CgroupStats Stats()
    {
        var stats = new CgroupStats();
        var available = Available();
        foreach (var controller in Controllers)
            if (available.Contains(controller.Name) && !_servedElsewhere(controller.Name)) controller.ReadStats(Directory, stats);
        // Without the pids controller, runc counts the processes instead.
        if (!available.Contains("pids") && !_servedElsewhere("pids")) stats.Pids.Current = (ulong)Processes().Count;
        return stats;
    }

    public ulong OomKillCount() =>
        CgroupFile.ReadIfExists(Directory, "memory.events") is { } text
            ? CgroupFile.ParseKeyValues(text, Directory, "memory.events").GetValueOrDefault("oom_kill")
            : 0;

    public OomWatch WatchOom() => new OomWatchV2(Directory);
}
