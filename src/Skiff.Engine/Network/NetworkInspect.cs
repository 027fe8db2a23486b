using System.Text.Json.Serialization;

namespace Skiff.Engine.Network;

/// <summary>A network as <c>docker network inspect</c> shows it.</summary>
public sealed class NetworkInspect
{
    public string Name { get; set; } = "";
    public string Id { get; set; } = "";
    public string Created { get; set; } = "";
    public string Scope { get; set; } = "local";
    public string Driver { get; set; } = "";
    public bool EnableIPv6 { get; set; }
    public NetworkIpam IPAM { get; set; } = new();
    public bool Internal { get; set; }
    public bool Attachable { get; set; }
    public bool Ingress { get; set; }
    public Dictionary<string, NetworkEndpoint> Containers { get; set; } = [];
    public Dictionary<string, string> Options { get; set; } = [];
    public Dictionary<string, string> Labels { get; set; } = [];
    /// <summary>skiff's own: the host link (bridge or parent) and whether names resolve.</summary>
    public string NetworkInterface { get; set; } = "";
    public bool DNSEnabled { get; set; }

    public static NetworkInspect From(NetworkDefinition network) => new()
    {
        Name = network.Name,
        Id = network.Id,
        Created = network.Created.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        Driver = network.Driver,
        EnableIPv6 = network.Ipv6,
        IPAM = new NetworkIpam { Config = [.. network.Subnets.Select(s => new NetworkIpamConfig { Subnet = s.Subnet, Gateway = s.Gateway, IPRange = s.IpRange })] },
        Internal = network.Internal,
        Options = new(network.Options),
        Labels = new(network.Labels),
        NetworkInterface = network.InterfaceName,
        DNSEnabled = network.DnsEnabled,
    };
}

public sealed class NetworkIpam
{
    public string Driver { get; set; } = "default";
    public Dictionary<string, string> Options { get; set; } = [];
    public List<NetworkIpamConfig> Config { get; set; } = [];
}

public sealed class NetworkIpamConfig
{
    public string Subnet { get; set; } = "";
    public string Gateway { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? IPRange { get; set; }
}

public sealed class NetworkEndpoint
{
    public string Name { get; set; } = "";
    public string EndpointID { get; set; } = "";
    public string MacAddress { get; set; } = "";
    public string IPv4Address { get; set; } = "";
    public string IPv6Address { get; set; } = "";
}

/// <summary>A row of <c>network ls</c>, its --format fields named as Docker's.</summary>
public sealed class NetworkListRow
{
    public string ID { get; set; } = "";
    public string Name { get; set; } = "";
    public string Driver { get; set; } = "";
    public string Scope { get; set; } = "local";
    public string IPv6 { get; set; } = "false";
    public string Internal { get; set; } = "false";
    public string Labels { get; set; } = "";
    public string CreatedAt { get; set; } = "";
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(List<NetworkInspect>))]
[JsonSerializable(typeof(NetworkInspect))]
[JsonSerializable(typeof(NetworkListRow))]
public sealed partial class NetworkInspectJsonContext : JsonSerializerContext;
