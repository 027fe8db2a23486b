namespace Skiff.Engine.Network;

/// <summary>What every backend makes sure of on the bridges it creates, after each setup.</summary>
public static class Bridges
{
    /// <summary>
    /// No router advertisements accepted on a bridge: a container could otherwise announce itself
    /// as the host's IPv6 router (CVE-2020-13401). Written on every setup since the backend may
    /// have just made the bridge.
    /// </summary>
    public static void Harden(NetworkDefinition network)
    {
        if (network.Driver != "bridge") return;
        string acceptRa = $"/proc/sys/net/ipv6/conf/{network.InterfaceName}/accept_ra";
        if (File.Exists(acceptRa) && File.ReadAllText(acceptRa).Trim() != "0") File.WriteAllText(acceptRa, "0");
    }
}
