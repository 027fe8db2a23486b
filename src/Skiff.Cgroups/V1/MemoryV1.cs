using System.Globalization;
using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>
/// memory: limit, memory+swap, soft limit, OOM killer, swappiness, the TCP buffer limit (kernelTCP,
/// as crun writes it; runc 1.1.5 leaves it). The kernel memory limit is ignored, as runc does (kernels ≥ 5.16
/// reject it).
/// </summary>
internal sealed class MemoryV1 : IV1Controller
{
    private const string Limit = "memory.limit_in_bytes", SwapLimit = "memory.memsw.limit_in_bytes";

    public string Name => "memory";
    public string? Serves => "memory";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Memory is not { } m) return;
        long limit = m.Limit ?? 0, swap = m.Swap ?? 0;
        if (m.CheckBeforeUpdate == true) MemoryUsage.EnsureBelow(dir, "memory.usage_in_bytes", limit, swap);
        WriteLimitAndSwap(dir, limit, swap);
        if (m.Reservation is { } reservation and not 0) CgroupFile.Write(dir, "memory.soft_limit_in_bytes", Number(reservation));
        if (m.DisableOomKiller == true) CgroupFile.Write(dir, "memory.oom_control", "1");
        if (m.Swappiness is { } swappiness) CgroupFile.Write(dir, "memory.swappiness", Number((long)swappiness));
        if (m.KernelTcp is { } tcp and not 0) CgroupFile.Write(dir, "memory.kmem.tcp.limit_in_bytes", Number(tcp));
    }

    private static void WriteLimitAndSwap(string dir, long limit, long swap)
    {
        // Unlimited memory without a swap value means unlimited memory+swap, where swap is accounted.
        if (limit == -1 && swap == 0 && CgroupFile.Exists(dir, SwapLimit)) swap = -1;
        // The kernel keeps memsw >= limit at every step, so the order depends on where the limits move.
        if (limit != 0 && swap != 0)
        {
            ulong current = CgroupFile.ReadUInt(dir, Limit);
            if (swap == -1 || current < (ulong)swap)
            {
                CgroupFile.Write(dir, SwapLimit, Number(swap));
                WriteLimit(dir, limit);
                return;
            }
        }
        if (limit != 0) WriteLimit(dir, limit);
        if (swap != 0) CgroupFile.Write(dir, SwapLimit, Number(swap));
    }

    private static void WriteLimit(string dir, long limit)
    {
        try
        {
            CgroupFile.Write(dir, Limit, Number(limit));
        }
        catch (CgroupException e) when (e.Errno == Linux.Errno.EBUSY)
        {
            // EBUSY: the processes already use more than the new limit and the kernel could not reclaim it.
            throw new CgroupException(
                $"cgroup: writing \"{limit}\" to {dir}/{Limit}: the limit is below what the container uses " +
                $"(current usage: {CgroupFile.ReadUInt(dir, "memory.usage_in_bytes")}, peak usage: {CgroupFile.ReadUInt(dir, "memory.max_usage_in_bytes")})",
                e.Errno);
        }
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        var raw = CgroupFile.ReadKeyValues(dir, "memory.stat");
        stats.Memory.Raw = raw;
        stats.Memory.Cache = raw.GetValueOrDefault("cache");
        stats.Memory.Usage = Entry(dir, "memory");
        stats.Memory.Swap = Entry(dir, "memory.memsw");
        stats.Memory.Kernel = Entry(dir, "memory.kmem");
        stats.Memory.KernelTcp = Entry(dir, "memory.kmem.tcp");
    }

    // memsw and kmem files are optional in the kernel: a missing one leaves the entry empty.
    private static MemoryEntry Entry(string dir, string prefix)
    {
        if (CgroupFile.ReadUIntIfExists(dir, prefix + ".usage_in_bytes") is not { } usage) return new MemoryEntry();
        return new MemoryEntry
        {
            Usage = usage,
            Max = CgroupFile.ReadUIntIfExists(dir, prefix + ".max_usage_in_bytes") ?? 0,
            Failcnt = CgroupFile.ReadUIntIfExists(dir, prefix + ".failcnt") ?? 0,
            Limit = CgroupFile.ReadUIntIfExists(dir, prefix + ".limit_in_bytes") ?? 0,
        };
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
