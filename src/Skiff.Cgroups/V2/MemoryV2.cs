using System.Globalization;
using Skiff.Cgroups.Stats;
using Skiff.Linux;

namespace Skiff.Cgroups.V2;

/// <summary>
/// memory: memory.max, memory.swap.max (the spec's memory+swap minus memory), memory.low for the
/// reservation. v2 has no swappiness or OOM-killer switch per cgroup; like runc, those are not applied.
/// </summary>
internal sealed class MemoryV2 : IV2Controller
{
    public string Name => "memory";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Memory is not { } m) return;
        long limit = m.Limit ?? 0, swap = m.Swap ?? 0, reservation = m.Reservation ?? 0;
        if (limit == 0 && swap == 0 && reservation == 0) return;
        if (m.CheckBeforeUpdate == true) MemoryUsage.EnsureBelow(dir, "memory.current", limit, swap);
        long swapOnly = Conversions.SwapToV2(swap, limit);
        string? swapValue = swapOnly == 0 ? (swap > 0 ? "0" : null) : Value(swapOnly);
        if (swapValue is not null)
        {
            int errno = CgroupFile.TryWrite(dir + "/memory.swap.max", swapValue);
            // Without swap accounting the file is missing; "no swap" and "any swap" then hold anyway.
            if (errno != 0 && !(errno == Errno.ENOENT && swapValue is "max" or "0"))
                throw new CgroupException($"cgroup: writing \"{swapValue}\" to {dir}/memory.swap.max: {Errno.Describe(errno)}", errno);
        }
        if (limit != 0) CgroupFile.Write(dir, "memory.max", Value(limit));
        if (reservation != 0) CgroupFile.Write(dir, "memory.low", Value(reservation));
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        var raw = CgroupFile.ReadKeyValues(dir, "memory.stat");
        stats.Memory.Raw = raw;
        stats.Memory.Cache = raw.GetValueOrDefault("file");
        var usage = new MemoryEntry
        {
            Usage = CgroupFile.ReadUInt(dir, "memory.current"),
            Limit = CgroupFile.ReadUInt(dir, "memory.max"),
            Max = CgroupFile.ReadUIntIfExists(dir, "memory.peak") ?? 0,
        };
        stats.Memory.Usage = usage;
        // runc reports v2 swap as memory+swap, the v1 meaning.
        if (CgroupFile.ReadUIntIfExists(dir, "memory.swap.current") is { } swapUsage)
        {
            ulong swapLimit = CgroupFile.ReadUInt(dir, "memory.swap.max");
            stats.Memory.Swap = new MemoryEntry
            {
                Usage = swapUsage + usage.Usage,
                Limit = swapLimit == ulong.MaxValue || usage.Limit == ulong.MaxValue ? ulong.MaxValue : swapLimit + usage.Limit,
            };
        }
    }

    private static string Value(long n) => n == -1 ? "max" : n.ToString(CultureInfo.InvariantCulture);
}
