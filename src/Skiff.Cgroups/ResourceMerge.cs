using Skiff.Oci.Runtime;

namespace Skiff.Cgroups;

/// <summary>
/// What a container's resources are after `update`: the stored ones with every value the update sets
/// laid over them, so a later update, exec or state reader sees the limits in force (runc keeps the
/// same in its state). Lists (device rules, per-device throttles, hugepage limits, priorities) are
/// replaced whole when the update gives them, as the cgroup files are; keyed maps merge per key.
/// </summary>
public static class ResourceMerge
{
    public static LinuxResources Merge(LinuxResources? stored, LinuxResources update)
    {
        var merged = stored ?? new LinuxResources();
        merged.Devices = update.Devices ?? merged.Devices;
        merged.Memory = Memory(merged.Memory, update.Memory);
        merged.Cpu = Cpu(merged.Cpu, update.Cpu);
        merged.Pids = update.Pids ?? merged.Pids;
        merged.BlockIo = BlockIo(merged.BlockIo, update.BlockIo);
        merged.HugepageLimits = update.HugepageLimits ?? merged.HugepageLimits;
        merged.Network = Network(merged.Network, update.Network);
        merged.Rdma = Keyed(merged.Rdma, update.Rdma);
        merged.Unified = Keyed(merged.Unified, update.Unified);
        return merged;
    }

    private static MemoryResources? Memory(MemoryResources? s, MemoryResources? u)
    {
        if (u is null || s is null) return u ?? s;
        s.Limit = u.Limit ?? s.Limit;
        s.Reservation = u.Reservation ?? s.Reservation;
        s.Swap = u.Swap ?? s.Swap;
        s.Kernel = u.Kernel ?? s.Kernel;
        s.KernelTcp = u.KernelTcp ?? s.KernelTcp;
        s.Swappiness = u.Swappiness ?? s.Swappiness;
        s.DisableOomKiller = u.DisableOomKiller ?? s.DisableOomKiller;
        s.UseHierarchy = u.UseHierarchy ?? s.UseHierarchy;
        s.CheckBeforeUpdate = u.CheckBeforeUpdate ?? s.CheckBeforeUpdate;
        return s;
    }

    private static CpuResources? Cpu(CpuResources? s, CpuResources? u)
    {
        if (u is null || s is null) return u ?? s;
        s.Shares = u.Shares ?? s.Shares;
        s.Quota = u.Quota ?? s.Quota;
        s.Burst = u.Burst ?? s.Burst;
        s.Period = u.Period ?? s.Period;
        s.RealtimeRuntime = u.RealtimeRuntime ?? s.RealtimeRuntime;
        s.RealtimePeriod = u.RealtimePeriod ?? s.RealtimePeriod;
        s.Cpus = u.Cpus ?? s.Cpus;
        s.Mems = u.Mems ?? s.Mems;
        s.Idle = u.Idle ?? s.Idle;
        return s;
    }

    private static BlockIoResources? BlockIo(BlockIoResources? s, BlockIoResources? u)
    {
        if (u is null || s is null) return u ?? s;
        s.Weight = u.Weight ?? s.Weight;
        s.LeafWeight = u.LeafWeight ?? s.LeafWeight;
        s.WeightDevice = u.WeightDevice ?? s.WeightDevice;
        s.ThrottleReadBpsDevice = u.ThrottleReadBpsDevice ?? s.ThrottleReadBpsDevice;
        s.ThrottleWriteBpsDevice = u.ThrottleWriteBpsDevice ?? s.ThrottleWriteBpsDevice;
        s.ThrottleReadIopsDevice = u.ThrottleReadIopsDevice ?? s.ThrottleReadIopsDevice;
        s.ThrottleWriteIopsDevice = u.ThrottleWriteIopsDevice ?? s.ThrottleWriteIopsDevice;
        return s;
    }

    private static NetworkResources? Network(NetworkResources? s, NetworkResources? u)
    {
        if (u is null || s is null) return u ?? s;
        s.ClassId = u.ClassId ?? s.ClassId;
        s.Priorities = u.Priorities ?? s.Priorities;
        return s;
    }

    private static Dictionary<string, T>? Keyed<T>(Dictionary<string, T>? s, Dictionary<string, T>? u)
    {
        if (u is null || s is null) return u ?? s;
        foreach (var (key, value) in u) s[key] = value;
        return s;
    }
}
