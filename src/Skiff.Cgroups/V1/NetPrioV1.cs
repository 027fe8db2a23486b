using System.Globalization;
using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>net_prio: a priority per network interface, one "name priority" write each.</summary>
internal sealed class NetPrioV1 : IV1Controller
{
    public string Name => "net_prio";
    public string? Serves => "net_prio";

    public void Apply(string dir, ResourceRequest request)
    {
        foreach (var p in request.Resources.Network?.Priorities ?? [])
            CgroupFile.Write(dir, "net_prio.ifpriomap", $"{p.Name} {p.Priority.ToString(CultureInfo.InvariantCulture)}");
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
    }
}
