using System.Buffers.Binary;
using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Launch;

/// <summary>
/// The spec's process.ioPriority, process.scheduler and execCPUAffinity turned into the values
/// ioprio_set(2), sched_setattr(2) and sched_setaffinity(2) take, validated as runc validates them.
/// </summary>
public static class ProcessScheduling
{
    /// <summary>Bytes in a mask that covers every CPU a kernel may have (NR_CPUS is at most 8192).</summary>
    public const int FullMaskBytes = 1024;

    private const int IoprioClassShift = 13;

    private static readonly Dictionary<string, int> IoClasses = new()
    {
        ["IOPRIO_CLASS_RT"] = 1, ["IOPRIO_CLASS_BE"] = 2, ["IOPRIO_CLASS_IDLE"] = 3,
    };

    private static readonly Dictionary<string, uint> Policies = new()
    {
        ["SCHED_OTHER"] = 0, ["SCHED_FIFO"] = 1, ["SCHED_RR"] = 2, ["SCHED_BATCH"] = 3, ["SCHED_ISO"] = 4,
        ["SCHED_IDLE"] = 5, ["SCHED_DEADLINE"] = 6,
    };

    private static readonly Dictionary<string, ulong> SchedulerFlags = new()
    {
        ["SCHED_FLAG_RESET_ON_FORK"] = 0x01, ["SCHED_FLAG_RECLAIM"] = 0x02, ["SCHED_FLAG_DL_OVERRUN"] = 0x04,
        ["SCHED_FLAG_KEEP_POLICY"] = 0x08, ["SCHED_FLAG_KEEP_PARAMS"] = 0x10, ["SCHED_FLAG_UTIL_CLAMP_MIN"] = 0x20,
        ["SCHED_FLAG_UTIL_CLAMP_MAX"] = 0x40,
    };

    /// <summary>The ioprio value: class in the top bits, level 0 (highest) to 7 below.</summary>
    public static long IoPriorityValue(IoPriority priority)
    {
        if (!IoClasses.TryGetValue(priority.Class, out int ioClass))
            throw new RuntimeException($"process.ioPriority.class \"{priority.Class}\" is not one of {string.Join(", ", IoClasses.Keys)}");
        if (priority.Priority is < 0 or > 7)
            throw new RuntimeException($"process.ioPriority.priority {priority.Priority} is out of range 0-7");
        return ((long)ioClass << IoprioClassShift) | (uint)priority.Priority;
    }

    /// <summary>struct sched_attr as of SCHED_ATTR_SIZE_VER0 (48 bytes), after runc's checks of the fields' combinations.</summary>
    public static byte[] SchedAttr(Scheduler scheduler)
    {
        if (string.IsNullOrEmpty(scheduler.Policy))
            throw new RuntimeException("process.scheduler.policy is required");
        if (!Policies.TryGetValue(scheduler.Policy, out uint policy))
            throw new RuntimeException($"process.scheduler.policy \"{scheduler.Policy}\" is not one of {string.Join(", ", Policies.Keys)}");
        if (scheduler.Policy is "SCHED_OTHER" or "SCHED_BATCH" && scheduler.Nice is < -20 or > 19)
            throw new RuntimeException($"process.scheduler.nice {scheduler.Nice} is out of range -20 to 19");
        if (scheduler.Priority != 0 && scheduler.Policy is not ("SCHED_FIFO" or "SCHED_RR"))
            throw new RuntimeException($"process.scheduler.priority is only for SCHED_FIFO and SCHED_RR, not {scheduler.Policy}");
        if (scheduler.Policy != "SCHED_DEADLINE" && (scheduler.Runtime != 0 || scheduler.Deadline != 0 || scheduler.Period != 0))
            throw new RuntimeException($"process.scheduler.runtime, deadline and period are only for SCHED_DEADLINE, not {scheduler.Policy}");
        ulong flags = 0;
        foreach (string flag in scheduler.Flags ?? [])
            flags |= SchedulerFlags.TryGetValue(flag, out ulong bit) ? bit
                : throw new RuntimeException($"process.scheduler.flags: unknown flag \"{flag}\"");

        byte[] attr = new byte[48];
        Span<byte> a = attr;
        BinaryPrimitives.WriteUInt32LittleEndian(a, (uint)attr.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(a[4..], policy);
        BinaryPrimitives.WriteUInt64LittleEndian(a[8..], flags);
        BinaryPrimitives.WriteInt32LittleEndian(a[16..], scheduler.Nice);
        BinaryPrimitives.WriteUInt32LittleEndian(a[20..], (uint)scheduler.Priority);
        BinaryPrimitives.WriteUInt64LittleEndian(a[24..], scheduler.Runtime);
        BinaryPrimitives.WriteUInt64LittleEndian(a[32..], scheduler.Deadline);
        BinaryPrimitives.WriteUInt64LittleEndian(a[40..], scheduler.Period);
        return attr;
    }

    /// <summary>A CPU list ("0-3,5", the cpuset format) as a cpu_set_t-style bit mask in whole 64-bit words.</summary>
    public static byte[] CpuMask(string list, string field)
    {
        IReadOnlyList<CpuRange> ranges;
        try { ranges = CpuList.Parse(list); }
        catch (FormatException e) { throw new RuntimeException($"{field}: {e.Message}"); }
        if (ranges.Count == 0) throw new RuntimeException($"{field} \"{list}\": names no CPU");
        int highest = CpuList.Highest(ranges);
        if (highest >= FullMaskBytes * 8)
            throw new RuntimeException($"{field} \"{list}\": CPU {highest} is not below {FullMaskBytes * 8}");
        byte[] mask = new byte[(highest / 64 + 1) * 8];
        foreach (int cpu in CpuList.Numbers(ranges)) mask[cpu / 8] |= (byte)(1 << (cpu % 8));
        return mask;
    }

    /// <summary>Every CPU: what the container's process gets unless execCPUAffinity says otherwise, so it never inherits the runtime's own affinity.</summary>
    public static byte[] AllCpus()
    {
        byte[] mask = new byte[FullMaskBytes];
        Array.Fill(mask, (byte)0xff);
        return mask;
    }
}
