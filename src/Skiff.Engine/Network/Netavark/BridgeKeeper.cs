using System.Net;
using Skiff.Engine.Monitor;

namespace Skiff.Engine.Network.Netavark;

/// <summary>
/// Keeps a user network's bridge, and the firewall rules netavark made for it, from the network's
/// first container until <c>network rm</c>, as Docker keeps its networks' bridges. netavark deletes
/// a bridge, and removes the network's rules, when the container it tears down was the bridge's
/// last port; a persistent tap device, down, enslaved to the bridge (<c>skk</c> + the network's
/// short id; a tap because this kernel may lack the dummy driver) is a port that never leaves, so
/// the next container does not pay for the bridge and its rules again (on an nf_tables host each
/// rule deletion waits for an RCU grace period). The default network, which is never removed,
/// keeps netavark's own lifecycle: nothing of it outlives its containers.
/// </summary>
internal sealed class BridgeKeeper(string scratchDirectory)
{
    public static bool Applies(NetworkDefinition network) => network.Driver == "bridge" && network.Name != NetworkStore.DefaultName;

    public static string LinkName(NetworkDefinition network) => "skk" + network.Id[..12];

    /// <summary>After a setup, under netavark's lock: the bridge exists now; its keeper is added once. Scratch files go in <c>scratchDirectory</c>.</summary>
    /// <remarks>Only a saving of time: when it cannot be made the container's setup stands, the bridge
    /// lives by netavark's rule, and the next setup tries again.</remarks>
    public void Keep(NetworkDefinition network)
    {
        string keeper = LinkName(network);
        if (Directory.Exists($"/sys/class/net/{keeper}/master") || !Directory.Exists($"/sys/class/net/{network.InterfaceName}/bridge")) return;
        try
        {
            string mtu = File.ReadAllText($"/sys/class/net/{network.InterfaceName}/mtu").Trim();
            if (!Directory.Exists($"/sys/class/net/{keeper}")) Ip(["tuntap", "add", "dev", keeper, "mode", "tap"]);
            Ip(["link", "set", keeper, "mtu", mtu, "master", network.InterfaceName]);
        }
        catch (Exception e) when (e is EngineException or IOException)
        {
            Console.Error.WriteLine($"skiff: network {network.Name}: its bridge is not kept between containers: {e.Message}");
        }
    }

    /// <summary>
    /// At <c>network rm</c>, under netavark's lock: the keeper goes, then the bridge and its rules go
    /// as netavark removes them with a bridge's last port: a teardown, in a namespace made for it,
    /// of a stand-in interface netavark can delete.
    /// </summary>
    public void Retire(NetworkDefinition network, Action<NetworkSetup> teardown)
    {
        string keeper = LinkName(network);
        if (network.HostBridge)
        {
            RetireBeside(network, keeper, teardown);
            return;
        }
        // Whether the bridge is left is told by the bridge, not the keeper: a retire that failed
        // after deleting the keeper is finished by the next one.
        if (Directory.Exists($"/sys/class/net/{keeper}")) Ip(["link", "delete", keeper]);
        string brif = $"/sys/class/net/{network.InterfaceName}/brif";
        if (!Directory.Exists(brif) || Directory.EnumerateFileSystemEntries(brif).Any()) return;
        TearDownStandIn(network, teardown);
    }

    /// <summary>
    /// A bridge the host had before <c>network create</c> stays, with its ports. netavark removes a
    /// network's rules only with its bridge, so the stand-in's teardown names an empty bridge made
    /// for it (<c>skr</c> + the network's short id), which netavark deletes instead; the two
    /// isolation rules netavark keyed to the host's bridge by name are deleted here. The keeper,
    /// added after every setup, tells that netavark made the rules (netavark's teardown fails on
    /// rules that are not there); it goes last, so a retire that failed is tried again by the next.
    /// </summary>
    private void RetireBeside(NetworkDefinition network, string keeper, Action<NetworkSetup> teardown)
    {
        if (!Directory.Exists($"/sys/class/net/{keeper}")) return;
        string scratch = "skr" + network.Id[..12];
        if (!Directory.Exists($"/sys/class/net/{scratch}")) Ip(["link", "add", scratch, "type", "bridge"]);
        try
        {
            TearDownStandIn(network with { InterfaceName = scratch }, teardown);
        }
        finally
        {
            if (Directory.Exists($"/sys/class/net/{scratch}")) Ip(["link", "delete", scratch]);
        }
        string bridge = network.InterfaceName;
        foreach (string tool in network.HasIpv6 ? (string[])["iptables", "ip6tables"] : ["iptables"])
        {
            // A rule that is not there (isolate off, or a retire that already got this far) is fine.
            Cni.Iptables.Run(tool, "-t", "filter", "-D", "NETAVARK_ISOLATION_1", "-i", bridge, "!", "-o", bridge, "-j", "NETAVARK_ISOLATION_2");
            Cni.Iptables.Run(tool, "-t", "filter", "-D", "NETAVARK_ISOLATION_2", "-o", bridge, "-j", "DROP");
        }
        Ip(["link", "delete", keeper]);
    }

    /// <summary>netavark's teardown, in a namespace made for it, of a stand-in on the network's bridge: with no port left, netavark deletes the bridge and the network's rules.</summary>
    private void TearDownStandIn(NetworkDefinition network, Action<NetworkSetup> teardown)
    {
        string netns = Path.Combine(scratchDirectory, "retire-" + network.Id[..12]);
        NetworkNamespace.Create(netns);
        try
        {
            Ip(["link", "add", "eth0", "type", "veth", "peer", "name", "eth1"], netns);
            // Without DNS: aardvark-dns has no entry for the stand-in, and its file of the network
            // went with the network's last container.
            NetworkAttachment standIn = new(network with { DnsEnabled = false }, "eth0", [.. network.Subnets.Select(StandInAddress)], null, []);
            teardown(new NetworkSetup(network.Id, network.Name, netns, [standIn], []));
        }
        finally
        {
            NetworkNamespace.Remove(netns);
        }
    }

    /// <summary>An address of the subnet that is not its own or its gateway: netavark derives the rules' addresses from it.</summary>
    private static string StandInAddress(SubnetDefinition definition)
    {
        IPNetwork subnet = IPNetwork.Parse(definition.Subnet);
        IPAddress address = Cidr.Nth(subnet, 1);
        if (address.ToString() == definition.Gateway) address = Cidr.Nth(subnet, 2);
        return $"{address}/{subnet.PrefixLength}";
    }

    private void Ip(string[] args, string? netns = null)
    {
        string[] command = netns is null ? ["/usr/sbin/ip", .. args] : ["/usr/bin/nsenter", $"--net={netns}", "/usr/sbin/ip", .. args];
        string output = Path.Combine(scratchDirectory, $".ip-{System.Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            int pid = ProcessSpawner.Spawn(command[0], command, ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], [], output);
            if (ProcessSpawner.Wait(pid) != 0)
                throw new EngineException($"{string.Join(' ', command[(netns is null ? 1 : 2)..])}: {(File.Exists(output) ? File.ReadAllText(output).Trim() : "failed")}");
        }
        finally
        {
            File.Delete(output);
        }
    }
}
