using System.Net;
using Skiff.Images.Fs;

namespace Skiff.Engine.Network.Cni;

/// <summary>
/// Outbound NAT for a routed bridge network: one rule per subnet, <c>-s SUBNET ! -o BRIDGE -j
/// MASQUERADE</c>, in skiff's own nat chain (<c>SKIFF-MASQUERADE</c>, jumped to from POSTROUTING),
/// as Docker keeps one per network. It replaces the bridge plugin's <c>ipMasq</c>, which makes and
/// deletes a chain of its own per container (on an nf_tables host each deletion waits for an RCU
/// grace period, ~20 ms). The rule lives as long as the network's bridge: made after the first
/// setup on a bridge, deleted when skiff deletes the bridge and at <c>network rm</c>. The bridge
/// carries the sign that its rule was made (its <c>ifalias</c>), so a setup on a bridge that has it
/// reads one sysfs file instead of running iptables; a bridge made again (after a reboot, or by an
/// older build that masqueraded per container) has no alias, and its rule is made then.
/// The chain and its jump stay once made, as the plugins' shared chains do.
/// </summary>
internal static class NetworkMasquerade
{
    public const string Chain = "SKIFF-MASQUERADE";

    /// <summary>What a bridge's ifalias says once its network's rule is in place.</summary>
    public static string Mark(NetworkDefinition network) => "skiff masquerade " + network.Id[..12];

    public static bool Applies(NetworkDefinition network) => network.Driver == "bridge" && !network.Internal;

    /// <summary>Whether the network's bridge exists and says its rule was made.</summary>
    public static bool Marked(NetworkDefinition network)
    {
        string alias = Alias(network);
        return File.Exists(alias) && File.ReadAllText(alias).Trim() == Mark(network);
    }

    /// <summary>After a setup on the network's bridge, under the backend's lock.</summary>
    public static void Ensure(NetworkDefinition network)
    {
        if (!Applies(network) || Marked(network)) return;
        // The chain is the host's, not the engine root's: two roots must not both find its jump
        // missing and add it twice.
        Directory.CreateDirectory("/run/lock");
        using FileLock host = FileLock.Exclusive("/run/lock/skiff-masquerade.lock");
        foreach ((string tool, string[] rule) in Rules(network))
        {
            EnsureChain(tool);
            // -C first: a bridge without the mark may still have its rule (one deleted and made
            // again by hand, or a setup that failed after the rule and before the mark).
            if (Iptables.Run(tool, ["-t", "nat", "-C", Chain, .. rule]).Exit == 0) continue;
            (int exit, string errors) = Iptables.RunWithErrors(tool, ["-t", "nat", "-A", Chain, .. rule]);
            if (exit != 0) throw new EngineException($"network {network.Name}: adding its masquerade rule ({tool} -t nat -A {Chain} {string.Join(' ', rule)}): {errors.Trim()}");
        }
        if (File.Exists(Alias(network))) File.WriteAllText(Alias(network), Mark(network));
    }

    private static string Alias(NetworkDefinition network) => $"/sys/class/net/{network.InterfaceName}/ifalias";

    /// <summary>When the network's bridge is deleted, and at network rm; a rule already gone is fine.</summary>
    public static void Remove(NetworkDefinition network)
    {
        if (!Applies(network)) return;
        foreach ((string tool, string[] rule) in Rules(network)) Iptables.Run(tool, ["-t", "nat", "-D", Chain, .. rule]);
    }

    /// <summary>One rule per subnet: its traffic leaving by any link but the bridge is masqueraded.</summary>
    private static IEnumerable<(string Tool, string[] Rule)> Rules(NetworkDefinition network)
    {
        foreach (SubnetDefinition subnet in network.Subnets)
        {
            string tool = IPNetwork.Parse(subnet.Subnet).BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ip6tables" : "iptables";
            yield return (tool, ["-s", subnet.Subnet, "!", "-o", network.InterfaceName, "-m", "comment", "--comment", $"skiff network {network.Id[..12]}", "-j", "MASQUERADE"]);
        }
    }

    private static void EnsureChain(string tool)
    {
        // -N fails when the chain exists: whether it was made now or before does not matter.
        Iptables.Run(tool, "-t", "nat", "-N", Chain);
        if (Iptables.Run(tool, "-t", "nat", "-C", "POSTROUTING", "-j", Chain).Exit == 0) return;
        (int exit, string errors) = Iptables.RunWithErrors(tool, "-t", "nat", "-A", "POSTROUTING", "-j", Chain);
        if (exit != 0) throw new EngineException($"adding the jump to {Chain} ({tool} -t nat -A POSTROUTING -j {Chain}): {errors.Trim()}");
    }
}
