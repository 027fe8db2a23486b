using System.Globalization;
using Skiff.Cgroups.Stats;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.V2;

/// <summary>io: io.bfq.weight (BFQ keeps blkio's scale) or io.weight (converted), and io.max throttling.</summary>
internal sealed class IoV2 : IV2Controller
{
    public string Name => "io";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.BlockIo is not { } b) return;
        bool bfq = CgroupFile.Exists(dir, "io.bfq.weight");
        if (b.Weight is { } weight and not 0)
            CgroupFile.Write(dir, bfq ? "io.bfq.weight" : "io.weight", Number(bfq ? weight : Conversions.BlkioWeightToIoWeight(weight)));
        foreach (var device in b.WeightDevice ?? [])
        {
            if (device.Weight is not { } w || w == 0) continue;
            CgroupFile.Write(dir, bfq ? "io.bfq.weight" : "io.weight",
                $"{device.Major}:{device.Minor} {Number(bfq ? w : Conversions.BlkioWeightToIoWeight(w))}");
        }
        Throttle(dir, "rbps", b.ThrottleReadBpsDevice);
        Throttle(dir, "wbps", b.ThrottleWriteBpsDevice);
        Throttle(dir, "riops", b.ThrottleReadIopsDevice);
        Throttle(dir, "wiops", b.ThrottleWriteIopsDevice);
    }

    private static void Throttle(string dir, string key, List<ThrottleDevice>? devices)
    {
        foreach (var device in devices ?? []) CgroupFile.Write(dir, "io.max", $"{device.Major}:{device.Minor} {key}={device.Rate}");
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
        // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", reported the way v1 names them.
        var bytes = new List<BlkioEntry>();
        var ios = new List<BlkioEntry>();
        foreach (string line in CgroupFile.Read(dir, "io.stat").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] device = fields[0].Split(':');
            if (device.Length != 2) throw CgroupFile.Malformed(dir, "io.stat", line);
            ulong major = ulong.Parse(device[0], CultureInfo.InvariantCulture), minor = ulong.Parse(device[1], CultureInfo.InvariantCulture);
            foreach (string field in fields.Skip(1))
            {
                string[] kv = field.Split('=');
                if (kv.Length != 2 || !ulong.TryParse(kv[1], CultureInfo.InvariantCulture, out ulong value)) continue;
                var (list, op) = kv[0] switch
                {
                    "rbytes" => (bytes, "Read"),
                    "wbytes" => (bytes, "Write"),
                    "rios" => (ios, "Read"),
                    "wios" => (ios, "Write"),
                    _ => (null, ""),
                };
                list?.Add(new BlkioEntry { Major = major, Minor = minor, Op = op, Value = value });
            }
        }
        stats.Blkio.IoServiceBytesRecursive = bytes;
        stats.Blkio.IoServicedRecursive = ios;
    }

    private static string Number(ulong n) => n.ToString(CultureInfo.InvariantCulture);
}
