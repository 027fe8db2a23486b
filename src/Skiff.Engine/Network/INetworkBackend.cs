namespace Skiff.Engine.Network;

/// <summary>
/// One network stack behind the engine: netavark (default) or CNI, chosen by the engine config's
/// <c>network_backend</c>. The engine allocates addresses itself (SQLite leases), creates the netns,
/// and keeps /etc/hosts; a backend only wires interfaces, firewall rules, ports and DNS.
/// </summary>
public interface INetworkBackend
{
    /// <summary>"netavark" or "cni".</summary>
    string Name { get; }

    /// <summary>On <c>network create</c>: rejects what the backend cannot do, with a clear message.</summary>
    void Validate(NetworkDefinition network);

    /// <summary>Wires <c>setup.NetnsPath</c> into every network in <c>setup.Networks</c>.</summary>
    NetworkStatus Setup(NetworkSetup setup);

    /// <summary>Undoes <see cref="Setup"/>; must work half-done, with the netns gone, and twice.</summary>
    void Teardown(NetworkSetup setup);

    /// <summary><c>network rm</c>: drops whatever the backend keeps for the network.</summary>
    void Remove(NetworkDefinition network);

    /// <summary><c>rename</c> of a wired container: the backend's name records (DNS) take the setup's new name and aliases.</summary>
    void Rename(NetworkSetup renamed);
}

/// <param name="Driver">bridge | macvlan | ipvlan.</param>
/// <param name="InterfaceName">The bridge (bridge driver) or the parent link (macvlan/ipvlan).</param>
/// <param name="Options">--opt (mtu, vlan, mode, ...).</param>
/// <param name="HostBridge">
/// The bridge (<c>com.docker.network.bridge.name</c>) was the host's before <c>network create</c>:
/// skiff never deletes it, only the rules it made for the network. False in a network an older
/// build stored, whose bridges were all made by skiff.
/// </param>
public sealed record NetworkDefinition(
    string Id, string Name, string Driver,
    string InterfaceName,
    IReadOnlyList<SubnetDefinition> Subnets,
    bool Internal, bool Ipv6, bool DnsEnabled,
    IReadOnlyDictionary<string, string> Options,
    IReadOnlyDictionary<string, string> Labels,
    DateTimeOffset Created,
    bool HostBridge = false)
{
    /// <summary>Whether the network carries IPv6 (--ipv6, or an IPv6 subnet given): its rules are ip6tables' too.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasIpv6 => Ipv6 || Subnets.Any(s => s.Subnet.Contains(':'));
}

/// <summary>CIDR strings; <paramref name="IpRange"/> narrows where the allocator hands out addresses.</summary>
public sealed record SubnetDefinition(string Subnet, string Gateway, string? IpRange);

/// <param name="Networks">The first one is the primary: ports go there.</param>
public sealed record NetworkSetup(
    string ContainerId, string ContainerName, string NetnsPath,
    IReadOnlyList<NetworkAttachment> Networks,
    IReadOnlyList<PortMapping> Ports);

/// <param name="InterfaceName">eth0, eth1, ... inside the container.</param>
/// <param name="Addresses">Allocated by the engine, CIDR form "10.89.0.5/24".</param>
/// <param name="Aliases">Include the container's name and short id.</param>
public sealed record NetworkAttachment(
    NetworkDefinition Network, string InterfaceName,
    IReadOnlyList<string> Addresses,
    string? MacAddress, IReadOnlyList<string> Aliases);

/// <param name="HostIp">"" = all addresses.</param>
/// <param name="Range">How many consecutive ports, at least 1.</param>
/// <param name="Protocol">tcp | udp | sctp.</param>
public sealed record PortMapping(string HostIp, ushort HostPort, ushort ContainerPort, ushort Range, string Protocol);

public sealed record NetworkStatus(IReadOnlyList<AttachedInterface> Interfaces, IReadOnlyList<string> DnsServers);

public sealed record AttachedInterface(string NetworkName, string InterfaceName, string MacAddress, IReadOnlyList<string> Addresses, IReadOnlyList<string> Gateways);
