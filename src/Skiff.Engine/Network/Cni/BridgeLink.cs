namespace Skiff.Engine.Network.Cni;

/// <summary>The host bridge the bridge plugin creates on first use and never deletes.</summary>
internal static class BridgeLink
{
    /// <summary>
    /// Deletes the network's bridge when skiff made it, it exists and no port is attached to it,
    /// with the isolation rules the firewall plugin keeps for it and the network's masquerade rule.
    /// A bridge the host had before <c>network create</c> stays (<see cref="Release"/> at network rm).
    /// </summary>
    public static void DeleteIfUnused(NetworkDefinition network)
    {
        if (network.HostBridge) return;
        string name = network.InterfaceName;
        string brif = Path.Combine("/sys/class/net", name, "brif");
        if (!Directory.Exists(brif) || Directory.EnumerateFileSystemEntries(brif).Any()) return;
        (int exit, _, string errors) = HostTool.Run("ip", ["link", "delete", name, "type", "bridge"]);
        if (exit != 0 && Directory.Exists(brif))
            throw new EngineException($"deleting bridge {name}: {errors.Trim()}");
        if (!network.Internal) IsolationLeftovers.Remove(name, network.HasIpv6);
        // Whether or not the bridge was marked: a setup that failed between the rule and the mark
        // leaves a rule without one. Deleting a rule that is not there commits nothing.
        NetworkMasquerade.Remove(network);
    }

    /// <summary>
    /// At <c>network rm</c> of a network on a bridge of the host's: the bridge and its ports stay;
    /// the rules made for the network go, and so does skiff's mark in the bridge's alias.
    /// </summary>
    public static void Release(NetworkDefinition network)
    {
        if (!network.Internal) IsolationLeftovers.Remove(network.InterfaceName, network.HasIpv6);
        NetworkMasquerade.Remove(network);
        string alias = Path.Combine("/sys/class/net", network.InterfaceName, "ifalias");
        // A newline clears an alias (a write of nothing never reaches the kernel).
        if (File.Exists(alias) && File.ReadAllText(alias).Trim() == NetworkMasquerade.Mark(network)) File.WriteAllText(alias, "\n");
    }
}
