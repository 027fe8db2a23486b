using Skiff.Cgroups.Events;
using Skiff.Cgroups.Stats;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.V1;

/// <summary>The cgroup v1 driver: one directory per mounted hierarchy, each controller writing its own files.</summary>
internal sealed class LegacyCgroup : ICgroup
{
    // runc's order: cpuset first (processes cannot join before it has cpus and mems), devices before anything runs.
    private static readonly IV1Controller[] Controllers =
    [
        new CpusetV1(), new DevicesV1(), new MemoryV1(), new CpuV1(), new CpuacctV1(), new PidsV1(), new BlkioV1(),
        new HugetlbV1(), new NetClsV1(), new NetPrioV1(), new RdmaV1(),
    ];

    // Hierarchies a container joins although nothing is limited through them: the freezer, perf_event,
    // misc, and systemd's named hierarchy (so systemd tools see the container where it is).
    private static readonly HashSet<string> JoinedOnly = ["freezer", "perf_event", "misc", "name=systemd"];

    private readonly CgroupLayout _layout;
    private readonly List<(CgroupHierarchy Hierarchy, string Dir)> _dirs = [];
    private readonly DirectoryTree _created = new();

    public LegacyCgroup(CgroupLayout layout, CgroupsPath path)
    {
        _layout = layout;
        Path = path.Value;
        foreach (var hierarchy in layout.Hierarchies)
        {
            if (!hierarchy.Controllers.Any(c => JoinedOnly.Contains(c) || Controllers.Any(k => k.Name == c))) continue;
            string parent = path.IsAbsolute ? hierarchy.MountPoint : hierarchy.OwnDirectory;
            _dirs.Add((hierarchy, parent.TrimEnd('/') + (path.IsAbsolute ? path.Value : "/" + path.Value)));
        }
    }

    public string Path { get; }

    public string? UnifiedDirectory => null;

    /// <summary>Generic resource names this driver can serve on this host.</summary>
    internal bool Serves(string need) =>
        Controllers.Any(c => c.Serves == need && DirOf(c.Name) is not null);

    public void Create()
    {
        foreach (var (hierarchy, dir) in _dirs)
        {
            bool cpuset = hierarchy.Has("cpuset");
            _created.MakeAll(hierarchy.MountPoint, dir, cpuset ? CpusetV1.InheritFromParent : null);
        }
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
        foreach (var controller in Controllers)
            if (DirOf(controller.Name) is { } dir) controller.Apply(dir, request);
    }

    public void AddProcess(int pid)
    {
        foreach (var (_, dir) in _dirs) CgroupProcs.Add(dir, pid);
    }

    // No unified hierarchy here, so no process is ever cloned into one.
    public void AddProcessBesidesUnified(int pid) => AddProcess(pid);

    public IReadOnlyList<int> Processes() => CgroupProcs.Recursive(ProcessDir());

    // Every process joins every hierarchy; runc reads the devices one, which must exist for security anyway.
    private string ProcessDir() =>
        DirOf("devices") ?? DirOf("freezer") ?? (_dirs.Count > 0 ? _dirs[0].Dir : null)
        ?? throw new CgroupException("cgroup: no v1 hierarchy is mounted");

    public void Freeze() => FreezerV1.Freeze(FreezerDir());

    public void Thaw() => FreezerV1.Thaw(FreezerDir());

    public bool IsFrozen() => DirOf("freezer") is { } dir && Directory.Exists(dir) && FreezerV1.IsFrozen(dir);

    internal bool HasFreezer => DirOf("freezer") is not null;

    private string FreezerDir() =>
        DirOf("freezer") ?? throw new CgroupException("cgroup: cannot freeze: the freezer controller is not mounted on this host");

    public void Destroy()
    {
        var errors = new List<string>();
        foreach (var (_, dir) in _dirs)
        {
            try
            {
                CgroupTree.Remove(dir);
            }
            catch (CgroupException e)
            {
                errors.Add(e.Message);
            }
        }
        _created.RemoveCreatedParents();
        if (errors.Count > 0) throw new CgroupException(string.Join("; ", errors));
    }

    public IReadOnlyList<CgroupMountSource> MountSources()
    {
        var sources = new List<CgroupMountSource>(_dirs.Count);
        foreach (var (hierarchy, dir) in _dirs) sources.Add(new CgroupMountSource(hierarchy.Name, dir, false, hierarchy.Controllers));
        return sources;
    }

    public CgroupStats Stats()
    {
        var stats = new CgroupStats();
        foreach (var controller in Controllers)
            if (DirOf(controller.Name) is { } dir) controller.ReadStats(dir, stats);
        return stats;
    }

    public ulong OomKillCount() =>
        DirOf("memory") is { } dir && CgroupFile.ReadIfExists(dir, "memory.oom_control") is { } text
            ? CgroupFile.ParseKeyValues(text, dir, "memory.oom_control").GetValueOrDefault("oom_kill")
            : 0;

    public OomWatch WatchOom() =>
        new OomWatchV1(DirOf("memory") ?? throw new CgroupException("cgroup: cannot watch for OOM: the memory controller is not mounted"));

    private string? DirOf(string controller)
    {
        foreach (var (hierarchy, dir) in _dirs)
            if (hierarchy.Has(controller)) return dir;
        return null;
    }
}
