using Skiff.Cgroups.Devices;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups;

/// <summary>What one Apply or Update asks of the drivers: the resources, and the device rules to install (null: leave them).</summary>
internal sealed record ResourceRequest(LinuxResources Resources, IReadOnlyList<DeviceRule>? Devices)
{
    public static ResourceRequest ForCreate(LinuxResources? r) => new(r ?? new LinuxResources(), DeviceRules.WithDefaults(r?.Devices));

    public static ResourceRequest ForUpdate(LinuxResources r) =>
        new(r, r.Devices is null ? null : DeviceRules.WithDefaults(r.Devices));

    public MemoryResources? Memory => Resources.Memory;
    public CpuResources? Cpu => Resources.Cpu;
    public BlockIoResources? BlockIo => Resources.BlockIo;

    /// <summary>The controllers (by their generic name, "io" for blkio) that this request needs, with what needs them.</summary>
    public IEnumerable<(string Controller, string What)> Needs()
    {
        var r = Resources;
        if (r.Memory is { } m && (NonZero(m.Limit) || NonZero(m.Reservation) || NonZero(m.Swap) || NonZero(m.KernelTcp) || m.Swappiness is not null || m.DisableOomKiller == true))
            yield return ("memory", "a memory limit");
        if (r.Cpu is { } c && (NonZero(c.Shares) || NonZero(c.Quota) || NonZero(c.Period) || c.Burst is not null || c.Idle is not null
                               || NonZero(c.RealtimeRuntime) || NonZero(c.RealtimePeriod)))
            yield return ("cpu", "a cpu limit");
        if (r.Cpu is { } s && (!string.IsNullOrEmpty(s.Cpus) || !string.IsNullOrEmpty(s.Mems)))
            yield return ("cpuset", "cpus or mems");
        if (r.Pids is { Limit: not 0 })
            yield return ("pids", "a pids limit");
        if (r.BlockIo is { } b && (NonZero(b.Weight) || NonZero(b.LeafWeight) || Any(b.WeightDevice) || Any(b.ThrottleReadBpsDevice)
                                   || Any(b.ThrottleWriteBpsDevice) || Any(b.ThrottleReadIopsDevice) || Any(b.ThrottleWriteIopsDevice)))
            yield return ("io", "a block I/O limit");
        if (Any(r.HugepageLimits)) yield return ("hugetlb", "a hugepage limit");
        if (r.Network?.ClassId is not (null or 0)) yield return ("net_cls", "a network classID");
        if (Any(r.Network?.Priorities)) yield return ("net_prio", "network priorities");
        if (r.Rdma is { Count: > 0 }) yield return ("rdma", "an rdma limit");
        if (r.Unified is { Count: > 0 }) yield return ("unified", "unified (cgroup v2) keys");
        if (Devices is not null) yield return ("devices", "device rules");
    }

    /// <summary>
    /// Throws the clear error for a value no kernel would apply as meant, or for the first need that no
    /// driver of this host serves, before any file is written.
    /// </summary>
    public void EnsureServed(Func<string, bool> served, CgroupLayout layout)
    {
        Validate();
        foreach (var (controller, what) in Needs())
        {
            if (served(controller)) continue;
            string reason = controller switch
            {
                "unified" => "the host has no cgroup v2 hierarchy (cgroup v1 cannot take unified keys)",
                "net_cls" or "net_prio" when layout.Mode == CgroupMode.Unified => $"{controller} exists only in cgroup v1",
                _ => $"the {controller} controller is not mounted on this host",
            };
            throw new CgroupException($"cgroup: {what} was requested but {reason}");
        }
    }

    private void Validate()
    {
        var r = Resources;
        NotBelowMinusOne(r.Memory?.Limit, "memory limit", "bytes");
        NotBelowMinusOne(r.Memory?.Swap, "memory+swap limit", "bytes");
        NotBelowMinusOne(r.Memory?.Reservation, "memory reservation", "bytes");
        if (r.Memory?.Swappiness is > 100)
            throw new CgroupException($"cgroup: memory swappiness {r.Memory.Swappiness} is invalid: the range is 0-100");
        // Kernels since 5.x read any negative quota as "no limit"; only -1 means that in the spec.
        NotBelowMinusOne(r.Cpu?.Quota, "cpu quota", "microseconds per period");
        NotBelowMinusOne(r.Cpu?.RealtimeRuntime, "cpu realtime runtime", "microseconds per period");
        foreach (var limit in r.HugepageLimits ?? [])
        {
            var sizes = HugePages.Sizes();
            if (!sizes.Contains(limit.PageSize))
                throw new CgroupException(
                    $"cgroup: hugepage size \"{limit.PageSize}\" is not one this kernel offers ({(sizes.Count == 0 ? "none" : string.Join(", ", sizes))})");
        }
        foreach (string key in r.Unified?.Keys ?? Enumerable.Empty<string>())
            if (key.Contains('/') || key is "" or "." or "..")
                throw new CgroupException($"cgroup: unified key \"{key}\" must be a file name of the cgroup (no slashes)");
    }

    private static void NotBelowMinusOne(long? value, string what, string unit)
    {
        if (value is < -1) throw new CgroupException($"cgroup: {what} {value} is invalid: give {unit}, or -1 for no limit");
    }

    private static bool NonZero(long? v) => v is not (null or 0);
    private static bool NonZero(ulong? v) => v is not (null or 0);
    private static bool NonZero(ushort? v) => v is not (null or 0);
    private static bool Any<T>(List<T>? list) => list is { Count: > 0 };
}
