namespace Skiff.Cgroups;

/// <summary>The cgroup v1 values of the OCI spec mapped onto cgroup v2's scales, as runc maps them.</summary>
public static class Conversions
{
    /// <summary>
    /// cpu.shares [2, 262144] to cpu.weight [1, 10000] with the curve current runc uses, which keeps
    /// the defaults aligned (1024 shares -> weight 100); the older linear formula
    /// 1 + (shares - 2) * 9999 / 262142 turned the default 1024 into 39.
    /// </summary>
    public static ulong CpuSharesToWeight(ulong shares)
    {
        if (shares == 0) return 0;
        if (shares <= 2) return 1;
        if (shares >= 262144) return 10000;
        double l = Math.Log2(shares);
        double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
        return (ulong)Math.Ceiling(Math.Pow(10, exponent));
    }

    /// <summary>blkio.weight [10, 1000] to io.weight [1, 10000], linearly.</summary>
    public static ulong BlkioWeightToIoWeight(ushort weight) =>
        weight == 0 ? 0 : 1 + ((ulong)Math.Max(weight, (ushort)10) - 10) * 9999 / 990;

    /// <summary>
    /// The spec's swap (memory+swap, as v1's memsw) to v2's memory.swap.max (swap alone). 0 means
    /// "leave it", -1 unlimited.
    /// </summary>
    public static long SwapToV2(long memorySwap, long memory)
    {
        if (memory == -1 && memorySwap == 0) return -1; // unlimited memory asks for unlimited swap too, as on v1
        if (memorySwap is -1 or 0) return memorySwap;
        if (memory == -1) return memorySwap;
        if (memory == 0) throw new CgroupException("cgroup: a swap limit needs a memory limit on cgroup v2 (swap is given as memory+swap)");
        if (memory < 0) throw new CgroupException($"cgroup: invalid memory limit {memory}");
        if (memorySwap < memory) throw new CgroupException($"cgroup: memory+swap limit {memorySwap} is below the memory limit {memory}");
        return memorySwap - memory;
    }
}
