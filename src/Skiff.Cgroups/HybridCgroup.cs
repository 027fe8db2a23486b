using Skiff.Cgroups.Events;
using Skiff.Cgroups.Stats;
using Skiff.Cgroups.V1;
using Skiff.Cgroups.V2;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups;

/// <summary>
/// A hybrid host: the v1 driver for the controllers bound to v1 hierarchies, the v2 driver for what
/// the cgroup2 mount carries (hugetlb on our hosts) and for unified keys. Processes join both trees.
/// </summary>
internal sealed class HybridCgroup : ICgroup
{
    private readonly CgroupLayout _layout;
    private readonly LegacyCgroup _v1;
    private readonly UnifiedCgroup _v2;

    public HybridCgroup(CgroupLayout layout, CgroupsPath path)
    {
        _layout = layout;
        _v1 = new LegacyCgroup(layout, path);
        _v2 = new UnifiedCgroup(layout, path, enableAllControllers: false, servedElsewhere: _v1.Serves);
    }

    public string Path => _v1.Path;

    public string? UnifiedDirectory => _v2.Directory;

    public void Create()
    {
        _v1.Create();
        _v2.Create();
    }

    public void Apply(LinuxResources? r) => Write(ResourceRequest.ForCreate(r));

    public void Update(LinuxResources r) => Write(ResourceRequest.ForUpdate(r));

    private void Write(ResourceRequest request)
    {
        request.EnsureServed(need => _v1.Serves(need) || _v2.Serves(need), _layout);
        _v1.Write(request);
        _v2.Write(request);
    }

    public void AddProcess(int pid)
    {
        _v1.AddProcess(pid);
        _v2.AddProcess(pid);
    }

    public void AddProcessBesidesUnified(int pid) => _v1.AddProcess(pid);

    public IReadOnlyList<int> Processes() => _v1.Processes();

    public void Freeze()
    {
        if (_v1.HasFreezer) _v1.Freeze();
        else _v2.Freeze();
    }

    public void Thaw()
    {
        if (_v1.HasFreezer) _v1.Thaw();
        else _v2.Thaw();
    }

    public bool IsFrozen() => _v1.HasFreezer ? _v1.IsFrozen() : _v2.IsFrozen();

    public void Destroy()
    {
        CgroupException? first = null;
        try
        {
            _v1.Destroy();
        }
        catch (CgroupException e)
        {
            first = e;
        }
        _v2.Destroy();
        if (first is not null) throw first;
    }

    public IReadOnlyList<CgroupMountSource> MountSources() => [.. _v1.MountSources(), .. _v2.MountSources()];

    public CgroupStats Stats()
    {
        var stats = _v1.Stats();
        var v2 = _v2.Stats();
        foreach (var (size, usage) in v2.Hugetlb) stats.Hugetlb[size] = usage;
        return stats;
    }

    public ulong OomKillCount() => _v1.OomKillCount();

    public OomWatch WatchOom() => _v1.WatchOom();
}
