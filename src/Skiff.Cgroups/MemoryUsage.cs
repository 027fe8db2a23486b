namespace Skiff.Cgroups;

/// <summary>memory.checkBeforeUpdate: refuse a limit at or below what the cgroup already uses, before the kernel starts reclaiming or killing.</summary>
internal static class MemoryUsage
{
    public static void EnsureBelow(string dir, string usageFile, long limit, long swap)
    {
        if (limit <= 0 && swap <= 0) return;
        if (CgroupFile.ReadUIntIfExists(dir, usageFile) is not { } usage) return;
        if (swap > 0 && (ulong)swap <= usage)
            throw new CgroupException($"cgroup: rejecting memory+swap limit {swap}: it is not above the current usage {usage}");
        if (limit > 0 && (ulong)limit <= usage)
            throw new CgroupException($"cgroup: rejecting memory limit {limit}: it is not above the current usage {usage}");
    }
}
