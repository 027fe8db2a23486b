using System.Text.Json;
using Skiff.Engine.Containers;

namespace Skiff.Engine.Stats;

/// <summary>One sample of a container's resource use, as the runtime's `events --stats` reports it.</summary>
public sealed record StatsSample(DateTime Taken, ulong CpuNanoseconds, ulong MemoryUsage, ulong MemoryLimit, ulong Pids, ulong BlockRead, ulong BlockWrite);

/// <summary>A row of `skiff stats`, with Docker's --format field names.</summary>
public sealed class StatsRow
{
    public string Container { get; set; } = "";
    public string ID { get; set; } = "";
    public string Name { get; set; } = "";
    public string CPUPerc { get; set; } = "";
    public string MemUsage { get; set; } = "";
    public string MemPerc { get; set; } = "";
    public string NetIO { get; set; } = "";
    public string BlockIO { get; set; } = "";
    public string PIDs { get; set; } = "";
}

/// <summary>
/// Samples through the OCI runtime (runc's `events --stats`), so stats work with any runtime and
/// cgroup layout the runtime handles; CPU% is the CPU time used between two samples over the wall
/// time between them, as Docker computes it.
/// </summary>
public static class ContainerStatsReader
{
    public static StatsSample? Sample(ContainerEngine engine, ContainerRecord record)
    {
        Skiff.Engine.Runtime.RuntimeResult result = engine.Runtime(record).Run("events", "--stats", record.Id);
        if (result.Exit != 0) return null;
        using JsonDocument document = JsonDocument.Parse(result.Output);
        JsonElement data = document.RootElement.GetProperty("data");
        ulong cpu = Path(data, "cpu", "usage", "total");
        ulong usage = Path(data, "memory", "usage", "usage");
        ulong limit = Path(data, "memory", "usage", "limit");
        // Docker leaves the inactive page cache out of "usage" (it is reclaimable).
        ulong inactive = Path(data, "memory", "stats", "total_inactive_file");
        if (inactive == 0) inactive = Path(data, "memory", "stats", "inactive_file");
        ulong read = 0, write = 0;
        if (data.TryGetProperty("blkio", out JsonElement blkio) && blkio.TryGetProperty("ioServiceBytesRecursive", out JsonElement io) && io.ValueKind == JsonValueKind.Array)
            foreach (JsonElement entry in io.EnumerateArray())
            {
                string op = entry.TryGetProperty("op", out JsonElement o) ? o.GetString() ?? "" : "";
                ulong value = entry.TryGetProperty("value", out JsonElement v) && v.TryGetUInt64(out ulong n) ? n : 0;
                if (op.Equals("read", StringComparison.OrdinalIgnoreCase)) read += value;
                else if (op.Equals("write", StringComparison.OrdinalIgnoreCase)) write += value;
            }
        return new StatsSample(DateTime.UtcNow, cpu, usage > inactive ? usage - inactive : usage, limit, Path(data, "pids", "current"), read, write);
    }

    public static StatsRow Row(ContainerRecord record, StatsSample? first, StatsSample? second, bool truncate)
    {
        StatsRow row = new() { Container = truncate ? record.ShortId : record.Id, ID = truncate ? record.ShortId : record.Id, Name = record.Name, NetIO = "0B / 0B" };
        if (second is null)
        {
            row.CPUPerc = row.MemPerc = row.PIDs = "--";
            row.MemUsage = row.BlockIO = "-- / --";
            return row;
        }
        double cpu = first is null || second.Taken <= first.Taken || second.CpuNanoseconds < first.CpuNanoseconds ? 0
            : (second.CpuNanoseconds - first.CpuNanoseconds) / ((second.Taken - first.Taken).TotalMilliseconds * 1e6) * 100;
        ulong limit = second.MemoryLimit is 0 or > (1UL << 62) ? HostMemory() : second.MemoryLimit;
        row.CPUPerc = cpu.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + "%";
        row.MemUsage = $"{Binary(second.MemoryUsage)} / {Binary(limit)}";
        row.MemPerc = (limit > 0 ? second.MemoryUsage * 100.0 / limit : 0).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + "%";
        row.BlockIO = $"{Decimal(second.BlockRead)} / {Decimal(second.BlockWrite)}";
        row.PIDs = second.Pids.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return row;
    }

    private static ulong Path(JsonElement element, params string[] names)
    {
        foreach (string name in names)
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element)) return 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetUInt64(out ulong value) ? value : 0;
    }

    private static ulong HostMemory()
    {
        foreach (string line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                return ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>docker stats' memory units: powers of 1024 (KiB, MiB, GiB).</summary>
    private static string Binary(ulong bytes) => Scaled(bytes, 1024, ["B", "KiB", "MiB", "GiB", "TiB"]);

    /// <summary>docker stats' I/O units: powers of 1000.</summary>
    private static string Decimal(ulong bytes) => Scaled(bytes, 1000, ["B", "kB", "MB", "GB", "TB"]);

    private static string Scaled(ulong bytes, double step, string[] units)
    {
        double value = bytes;
        int unit = 0;
        while (value >= step && unit < units.Length - 1)
        {
            value /= step;
            unit++;
        }
        return value.ToString(unit == 0 ? "0" : "0.##", System.Globalization.CultureInfo.InvariantCulture) + units[unit];
    }
}
