using System.Diagnostics;

namespace Skiff.Engine.Network.Cni;

/// <summary>Whether this kernel can make links of a kind (macvlan, ipvlan): a kernel built without one refuses only when a container is set up.</summary>
internal static class LinkKind
{
    /// <summary>
    /// Asks the kernel for a link of the kind with no parent: a kernel that has the driver refuses
    /// it for the missing parent (EINVAL), one without refuses the kind itself ("Unknown device
    /// type"). Nothing is made either way.
    /// </summary>
    public static bool Supported(string kind)
    {
        (_, _, string errors) = HostTool.Run("ip", ["link", "add", "name", "skprobe" + Environment.ProcessId % 100000, "type", kind]);
        return !errors.Contains("Unknown device type", StringComparison.Ordinal);
    }
}
