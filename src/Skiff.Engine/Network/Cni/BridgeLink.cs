namespace Skiff.Engine.Network.Cni;

/// <summary>The host bridge the bridge plugin creates on first use and never deletes.</summary>
internal static class BridgeLink
{
    /// <summary>
    /// Deletes the network's bridge when it exists and no port is attached to it, with the
    /// isolation rules the firewall plugin keeps for it and the network's masquerade rule.
    /// </summary>
    public static void DeleteIfUnused(NetworkDefinition network)
    {
        string name = network.InterfaceName;
        string brif = Path.Combine("/sys/class/net", name, "brif");
        if (!Directory.Exists(brif) || Directory.EnumerateFileSystemEntries(brif).Any()) return;
        (int exit, _, string errors) = HostTool.Run("ip", ["link", "delete", name, "type", "bridge"]);
        if (exit != 0 && Directory.Exists(brif))
            throw new EngineException($"deleting bridge {name}: {errors.Trim()}");
        if (!network.Internal) IsolationLeftovers.Remove(name, network.Ipv6 || network.Subnets.Any(s => s.Subnet.Contains(':')));
        // Whether or not the bridge was marked: a setup that failed between the rule and the mark
        // leaves a rule without one. Deleting a rule that is not there commits nothing.
        NetworkMasquerade.Remove(network);
    }
}
