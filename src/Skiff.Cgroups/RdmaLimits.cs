using System.Globalization;

namespace Skiff.Cgroups;

/// <summary>rdma.max lines, "mlx5_1 hca_handle=3 hca_object=max" style, identical in both versions.</summary>
internal static class RdmaLimits
{
    public static void Apply(string dir, ResourceRequest request)
    {
        foreach (var (device, limit) in request.Resources.Rdma ?? [])
        {
            string line = device;
            if (limit.HcaHandles is { } handles) line += " hca_handle=" + handles.ToString(CultureInfo.InvariantCulture);
            if (limit.HcaObjects is { } objects) line += " hca_object=" + objects.ToString(CultureInfo.InvariantCulture);
            CgroupFile.Write(dir, "rdma.max", line);
        }
    }
}
