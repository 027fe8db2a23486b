using System.Text.Json;

namespace Skiff.Engine.Network.Netavark;

/// <summary>
/// netavark 1.4's wire format: the options it reads (container, per-network options, network
/// definitions, port mappings) and the status blocks it prints, one per network.
/// </summary>
internal static class NetavarkJson
{
    /// <summary>
    /// The name netavark knows a network by. netavark names its per-network NAT chain after a hash
    /// of this name and aardvark-dns its file, so two engines on one host (two skiff roots, or
    /// skiff and Podman) with a network of the same user-facing name would share one chain and
    /// undo each other's rules. The network's id is unique; the user's name stays skiff's.
    /// </summary>
    public static string WireName(NetworkDefinition network) => "skiff-" + network.Id[..12];

    public static byte[] Options(NetworkSetup setup)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter json = new(buffer))
        {
            json.WriteStartObject();
            json.WriteString("container_id", setup.ContainerId);
            json.WriteString("container_name", setup.ContainerName);
            json.WriteStartObject("networks");
            foreach (NetworkAttachment attachment in setup.Networks)
            {
                json.WriteStartObject(WireName(attachment.Network));
                json.WriteString("interface_name", attachment.InterfaceName);
                json.WriteStartArray("static_ips");
                foreach (string address in attachment.Addresses) json.WriteStringValue(address[..address.IndexOf('/')]);
                json.WriteEndArray();
                if (attachment.MacAddress is { } mac) json.WriteString("static_mac", mac);
                // Aliases only mean something to a network with DNS; netavark ignores them otherwise.
                json.WriteStartArray("aliases");
                foreach (string alias in attachment.Aliases.Where(a => a != setup.ContainerName).Distinct()) json.WriteStringValue(alias);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteStartObject("network_info");
            foreach (NetworkAttachment attachment in setup.Networks) WriteNetwork(json, attachment.Network);
            json.WriteEndObject();
            json.WriteStartArray("port_mappings");
            foreach (PortMapping port in setup.Ports)
            {
                json.WriteStartObject();
                json.WriteNumber("container_port", port.ContainerPort);
                json.WriteString("host_ip", port.HostIp);
                json.WriteNumber("host_port", port.HostPort);
                json.WriteString("protocol", port.Protocol);
                json.WriteNumber("range", port.Range);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteNetwork(Utf8JsonWriter json, NetworkDefinition network)
    {
        json.WriteStartObject(WireName(network));
        // Name resolution on a macvlan network is the engine's /etc/hosts: aardvark-dns listens on
        // the network's gateway on the host, which a macvlan network does not have.
        json.WriteBoolean("dns_enabled", network.DnsEnabled && network.Driver == "bridge");
        json.WriteString("driver", network.Driver);
        json.WriteString("id", network.Id);
        json.WriteBoolean("internal", network.Internal);
        json.WriteBoolean("ipv6_enabled", network.Ipv6);
        json.WriteString("name", WireName(network));
        json.WriteString("network_interface", network.InterfaceName);
        json.WriteStartObject("options");
        foreach ((string key, string value) in network.Options) json.WriteString(key, value);
        // Docker keeps user networks apart: without this netavark forwards between its bridges.
        if (network.Driver == "bridge" && !network.Options.ContainsKey("isolate")) json.WriteString("isolate", "true");
        json.WriteEndObject();
        json.WriteStartObject("ipam_options");
        json.WriteString("driver", "host-local");
        json.WriteEndObject();
        json.WriteStartArray("subnets");
        foreach (SubnetDefinition subnet in network.Subnets)
        {
            json.WriteStartObject();
            json.WriteString("subnet", subnet.Subnet);
            if (subnet.Gateway.Length > 0) json.WriteString("gateway", subnet.Gateway);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Reads setup's output: network name to status block.</summary>
    public static NetworkStatus Status(string output, NetworkSetup setup)
    {
        using JsonDocument document = JsonDocument.Parse(JsonPart(output));
        List<AttachedInterface> interfaces = [];
        List<string> dns = [];
        foreach (NetworkAttachment attachment in setup.Networks)
        {
            if (!document.RootElement.TryGetProperty(WireName(attachment.Network), out JsonElement block)) continue;
            if (block.TryGetProperty("dns_server_ips", out JsonElement servers) && servers.ValueKind == JsonValueKind.Array)
                foreach (JsonElement server in servers.EnumerateArray())
                    if (server.GetString() is { } s && !dns.Contains(s)) dns.Add(s);
            if (!block.TryGetProperty("interfaces", out JsonElement links) || links.ValueKind != JsonValueKind.Object) continue;
            foreach (JsonProperty link in links.EnumerateObject())
            {
                List<string> addresses = [], gateways = [];
                if (link.Value.TryGetProperty("subnets", out JsonElement subnets) && subnets.ValueKind == JsonValueKind.Array)
                    foreach (JsonElement subnet in subnets.EnumerateArray())
                    {
                        if (subnet.TryGetProperty("ipnet", out JsonElement ipnet) && ipnet.GetString() is { } a) addresses.Add(a);
                        if (subnet.TryGetProperty("gateway", out JsonElement gateway) && gateway.GetString() is { } g) gateways.Add(g);
                    }
                string mac = link.Value.TryGetProperty("mac_address", out JsonElement m) ? m.GetString() ?? "" : "";
                interfaces.Add(new AttachedInterface(attachment.Network.Name, link.Name, mac, addresses, gateways));
            }
        }
        return new NetworkStatus(interfaces, dns);
    }

    /// <summary>netavark's error object ({"error": "..."}), or its raw output when it printed none.</summary>
    public static string Error(string output)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(JsonPart(output));
            if (document.RootElement.TryGetProperty("error", out JsonElement error) && error.GetString() is { } message) return message;
        }
        catch (JsonException) { }
        return output.Trim() is { Length: > 0 } raw ? raw : "failed without a message";
    }

    /// <summary>The JSON object in netavark's output; log lines may precede it on the shared stream.</summary>
    private static string JsonPart(string output)
    {
        int start = output.IndexOf("\n{", StringComparison.Ordinal) is int i and >= 0 ? i + 1 : output.StartsWith('{') ? 0 : -1;
        return start < 0 ? "{}" : output[start..];
    }
}
