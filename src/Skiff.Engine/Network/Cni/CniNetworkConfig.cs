using System.Net;
using System.Text.Json.Nodes;

namespace Skiff.Engine.Network.Cni;

/// <summary>
/// The configuration list a network gets on the cni backend, generated from its definition:
/// <list type="bullet">
/// <item>bridge: the bridge plugin (gateway address on the bridge and default route unless
/// internal, hairpin so a container reaches its own published ports, the MAC address), then
/// portmap and firewall; an internal network gets only the bridge, with no address on the host's
/// side, no route out and no masquerade, so nothing leaves it.</item>
/// <item>macvlan / ipvlan on the parent link, with a default route unless internal, then tuning
/// for the MAC address.</item>
/// </list>
/// Addresses are never chosen by a plugin: the engine has allocated them, and the <c>static</c> IPAM
/// plugin takes them (and their gateways) from CNI_ARGS <c>IP</c> and <c>GATEWAY</c>.
/// </summary>
internal static class CniNetworkConfig
{
    private static readonly string[] MacvlanModes = ["bridge", "private", "vepa", "passthru"];
    private static readonly string[] IpvlanModes = ["l2", "l3", "l3s"];

    /// <summary>Rejects what this backend cannot build, naming the network and the reason.</summary>
    public static void Validate(NetworkDefinition network)
    {
        if (network.Driver is not ("bridge" or "macvlan" or "ipvlan"))
            throw new EngineException($"network {network.Name}: driver \"{network.Driver}\" is not supported by the cni backend (bridge, macvlan or ipvlan)");
        if (network.InterfaceName.Length is 0 or > 15 || network.InterfaceName.Contains('/'))
            throw new EngineException($"network {network.Name}: interface name \"{network.InterfaceName}\" is not a valid link name");
        foreach ((string key, string value) in network.Options)
        {
            switch (key)
            {
                case "mtu" when int.TryParse(value, out int mtu) && mtu is >= 68 and <= 65535:
                    break;
                case "mtu":
                    throw new EngineException($"network {network.Name}: option mtu=\"{value}\" is not an MTU (68 to 65535)");
                case "vlan" when network.Driver == "bridge":
                    if (!int.TryParse(value, out int vlan) || vlan is < 1 or > 4094)
                        throw new EngineException($"network {network.Name}: option vlan=\"{value}\" is not a VLAN id (1 to 4094)");
                    break;
                case "mode" when network.Driver == "macvlan":
                    if (!MacvlanModes.Contains(value))
                        throw new EngineException($"network {network.Name}: macvlan mode \"{value}\" is invalid ({string.Join(", ", MacvlanModes)})");
                    break;
                case "mode" when network.Driver == "ipvlan":
                    if (!IpvlanModes.Contains(value))
                        throw new EngineException($"network {network.Name}: ipvlan mode \"{value}\" is invalid ({string.Join(", ", IpvlanModes)})");
                    break;
                default:
                    throw new EngineException($"network {network.Name}: option \"{key}\" is not supported by the {network.Driver} driver of the cni backend");
            }
        }
        if (network.Driver != "bridge" && !Directory.Exists(Path.Combine("/sys/class/net", network.InterfaceName)))
            throw new EngineException($"network {network.Name}: parent interface \"{network.InterfaceName}\" does not exist");
        if (network.Driver != "bridge" && !LinkKind.Supported(network.Driver))
            throw new EngineException($"network {network.Name}: this kernel has no {network.Driver} driver (CONFIG_{network.Driver.ToUpperInvariant()})");
        foreach (SubnetDefinition subnet in network.Subnets)
        {
            if (!IPNetwork.TryParse(subnet.Subnet, out _))
                throw new EngineException($"network {network.Name}: subnet \"{subnet.Subnet}\" is not a CIDR");
        }
    }

    public static CniNetworkList Generate(NetworkDefinition network)
    {
        List<JsonObject> plugins = network.Driver switch
        {
            "bridge" => Bridge(network),
            "macvlan" or "ipvlan" => Vlan(network),
            _ => throw new EngineException($"network {network.Name}: driver \"{network.Driver}\" is not supported by the cni backend"),
        };
        return new CniNetworkList(network.Name, CniNetworkList.SpecVersion, plugins);
    }

    private static List<JsonObject> Bridge(NetworkDefinition network)
    {
        bool routed = !network.Internal;
        JsonObject bridge = new()
        {
            ["type"] = "bridge",
            ["bridge"] = network.InterfaceName,
            // isGateway puts the gateway address on the bridge and isDefaultGateway the default
            // route in the container; without both, the host has no address on an internal
            // network and the container no route off it.
            ["isGateway"] = routed,
            ["isDefaultGateway"] = routed,
            // The network's one masquerade rule (NetworkMasquerade) instead of the plugin's chain
            // per container.
            ["ipMasq"] = false,
            ["hairpinMode"] = true,
            // The bridge plugin sets --mac-address itself: no tuning plugin (two more plugin runs
            // per container) in this chain.
            ["capabilities"] = new JsonObject { ["mac"] = true },
            ["ipam"] = new JsonObject { ["type"] = "static" },
        };
        AddMtu(bridge, network);
        if (network.Options.TryGetValue("vlan", out string? vlan)) bridge["vlan"] = int.Parse(vlan);
        List<JsonObject> plugins = [bridge];
        if (routed)
        {
            plugins.Add(new JsonObject { ["type"] = "portmap", ["capabilities"] = new JsonObject { ["portMappings"] = true }, ["snat"] = true });
            // same-bridge: traffic from another bridge (another network) is dropped, as Docker
            // isolates its networks; the host routes between bridges otherwise.
            plugins.Add(new JsonObject { ["type"] = "firewall", ["backend"] = "iptables", ["ingressPolicy"] = "same-bridge" });
        }
        return plugins;
    }

    private static List<JsonObject> Vlan(NetworkDefinition network)
    {
        JsonObject ipam = new() { ["type"] = "static" };
        if (!network.Internal)
        {
            JsonArray routes = [];
            if (network.Subnets.Any(s => !IsV6(s.Subnet))) routes.Add((JsonNode)new JsonObject { ["dst"] = "0.0.0.0/0" });
            if (network.Subnets.Any(s => IsV6(s.Subnet))) routes.Add((JsonNode)new JsonObject { ["dst"] = "::/0" });
            ipam["routes"] = routes;
        }
        JsonObject link = new()
        {
            ["type"] = network.Driver,
            ["master"] = network.InterfaceName,
            ["mode"] = network.Options.TryGetValue("mode", out string? mode) ? mode : network.Driver == "macvlan" ? "bridge" : "l2",
            ["ipam"] = ipam,
        };
        AddMtu(link, network);
        return [link, Tuning()];
    }

    /// <summary>tuning sets <c>--mac-address</c> (its mac capability) on the container's interface.</summary>
    private static JsonObject Tuning() => new() { ["type"] = "tuning", ["capabilities"] = new JsonObject { ["mac"] = true } };

    private static void AddMtu(JsonObject plugin, NetworkDefinition network)
    {
        if (network.Options.TryGetValue("mtu", out string? mtu)) plugin["mtu"] = int.Parse(mtu);
    }

    /// <summary>
    /// CNI_ARGS for one attachment: the engine's addresses and, on a routed network, the gateway of
    /// each address's subnet. IgnoreUnknown lets every other plugin in the chain pass over them.
    /// </summary>
    public static List<KeyValuePair<string, string>> Args(NetworkAttachment attachment)
    {
        List<KeyValuePair<string, string>> args = [new("IgnoreUnknown", "1")];
        if (attachment.Addresses.Count == 0) return args;
        args.Add(new("IP", string.Join(',', attachment.Addresses)));
        if (!attachment.Network.Internal)
        {
            List<string> gateways = [];
            foreach (string address in attachment.Addresses)
            {
                string ip = address.Split('/')[0];
                SubnetDefinition? subnet = attachment.Network.Subnets.FirstOrDefault(s =>
                    IPNetwork.TryParse(s.Subnet, out IPNetwork net) && IPAddress.TryParse(ip, out IPAddress? a) && net.Contains(a));
                if (subnet is { Gateway.Length: > 0 } && !gateways.Contains(subnet.Gateway)) gateways.Add(subnet.Gateway);
            }
            if (gateways.Count > 0) args.Add(new("GATEWAY", string.Join(',', gateways)));
        }
        return args;
    }

    /// <summary>The runtime values of the capabilities: published ports on the primary network, the MAC address.</summary>
    public static JsonObject Capabilities(NetworkAttachment attachment, IReadOnlyList<PortMapping> ports, bool primary)
    {
        JsonObject values = [];
        if (primary && ports.Count > 0)
        {
            JsonArray mappings = [];
            foreach (PortMapping port in ports)
            {
                for (int i = 0; i < Math.Max((int)port.Range, 1); i++)
                {
                    JsonObject mapping = new()
                    {
                        ["hostPort"] = port.HostPort + i,
                        ["containerPort"] = port.ContainerPort + i,
                        ["protocol"] = port.Protocol,
                    };
                    if (port.HostIp.Length > 0) mapping["hostIP"] = port.HostIp;
                    mappings.Add((JsonNode)mapping);
                }
            }
            values["portMappings"] = mappings;
        }
        if (attachment.MacAddress is { Length: > 0 } mac) values["mac"] = mac;
        return values;
    }

    private static bool IsV6(string cidr) => cidr.Contains(':');
}
