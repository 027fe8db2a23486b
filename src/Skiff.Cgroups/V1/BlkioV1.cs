using System.Globalization;
using Skiff.Cgroups.Stats;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.V1;

/// <summary>blkio: weights (CFQ's blkio.weight or, on BFQ kernels, blkio.bfq.weight) and throttling.</summary>
internal sealed class BlkioV1 : IV1Controller
{
    public string Name => "blkio";
    public string? Serves => "io";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.BlockIo is not { } b) return;
        // Kernels without CFQ (all since 5.0) offer the weight only through BFQ.
        bool cfq = CgroupFile.Exists(dir, "blkio.weight");
        string weightFile = cfq ? "blkio.weight" : "blkio.bfq.weight";
        string weightDeviceFile = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
        if (b.Weight is { } weight and not 0) CgroupFile.Write(dir, weightFile, Number(weight));
        if (b.LeafWeight is { } leaf and not 0) CgroupFile.Write(dir, "blkio.leaf_weight", Number(leaf));
        foreach (var device in b.WeightDevice ?? [])
        {
            if (device.Weight is { } w and not 0) CgroupFile.Write(dir, weightDeviceFile, $"{device.Major}:{device.Minor} {w}");
            if (device.LeafWeight is { } lw and not 0) CgroupFile.Write(dir, "blkio.leaf_weight_device", $"{device.Major}:{device.Minor} {lw}");
        }
        Throttle(dir, "blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice);
        Throttle(dir, "blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice);
        Throttle(dir, "blkio.throttle.read_iops_device", b.ThrottleReadIopsDevice);
        Throttle(dir, "blkio.throttle.write_iops_device", b.ThrottleWriteIopsDevice);
    }

    private static void Throttle(string dir, string file, List<ThrottleDevice>? devices)
    {
        foreach (var device in devices ?? []) CgroupFile.Write(dir, file, $"{device.Major}:{device.Minor} {device.Rate}");
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        // The throttle files count I/O under every scheduler; the per-scheduler ones come and go with the kernel.
        stats.Blkio.IoServiceBytesRecursive = Entries(dir, "blkio.throttle.io_service_bytes_recursive");
        stats.Blkio.IoServicedRecursive = Entries(dir, "blkio.throttle.io_serviced_recursive");
    }

    // "8:0 Read 1282048" lines and a "Total 3477504" line.
    private static List<BlkioEntry>? Entries(string dir, string file)
    {
        if (CgroupFile.ReadIfExists(dir, file) is not { } text) return null;
        var entries = new List<BlkioEntry>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', ':');
            if (fields.Length == 2 && fields[0] == "Total") continue;
            if (fields.Length < 3) throw CgroupFile.Malformed(dir, file, line);
            entries.Add(new BlkioEntry
            {
                Major = ulong.Parse(fields[0], CultureInfo.InvariantCulture),
                Minor = ulong.Parse(fields[1], CultureInfo.InvariantCulture),
                Op = fields.Length == 4 ? fields[2] : null,
                Value = ulong.Parse(fields[^1], CultureInfo.InvariantCulture),
            });
        }
        return entries;
    }

    private static string Number(ushort n) => n.ToString(CultureInfo.InvariantCulture);
}
