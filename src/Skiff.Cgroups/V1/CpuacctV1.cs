using System.Globalization;
using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>cpuacct: nothing to set; CPU time used, total, per CPU and per mode.</summary>
internal sealed class CpuacctV1 : IV1Controller
{
    // cpuacct.stat counts in USER_HZ, which is 100 on every Linux architecture skiff runs on.
    private const ulong NanosecondsPerTick = 1_000_000_000 / 100;

    public string Name => "cpuacct";
    public string? Serves => null;

    public void Apply(string dir, ResourceRequest request)
    {
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        var usage = stats.Cpu.Usage;
        usage.Total = CgroupFile.ReadUInt(dir, "cpuacct.usage");
        usage.PerCpu = Numbers(CgroupFile.Read(dir, "cpuacct.usage_percpu"), dir, "cpuacct.usage_percpu");
        var modes = CgroupFile.ReadKeyValues(dir, "cpuacct.stat");
        usage.User = modes.GetValueOrDefault("user") * NanosecondsPerTick;
        usage.Kernel = modes.GetValueOrDefault("system") * NanosecondsPerTick;
        if (CgroupFile.ReadIfExists(dir, "cpuacct.usage_all") is not { } all) return;
        // "cpu user system" then one line per CPU.
        usage.PerCpuUser = [];
        usage.PerCpuKernel = [];
        foreach (string line in all.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var fields = Numbers(line, dir, "cpuacct.usage_all");
            if (fields.Count < 3) continue;
            usage.PerCpuUser.Add(fields[1]);
            usage.PerCpuKernel.Add(fields[2]);
        }
    }

    private static List<ulong> Numbers(string text, string dir, string file)
    {
        var numbers = new List<ulong>();
        foreach (string n in text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
            numbers.Add(ulong.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : throw CgroupFile.Malformed(dir, file, text.Trim()));
        return numbers;
    }
}
