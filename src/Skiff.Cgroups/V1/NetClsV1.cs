using System.Globalization;
using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>net_cls: the class id that tc and iptables match the container's packets by.</summary>
internal sealed class NetClsV1 : IV1Controller
{
    public string Name => "net_cls";
    public string? Serves => "net_cls";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Resources.Network?.ClassId is { } id and not 0)
            CgroupFile.Write(dir, "net_cls.classid", id.ToString(CultureInfo.InvariantCulture));
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
    }
}
