using System.CommandLine;
using Skiff.Engine;
using Skiff.Engine.Network;

namespace Skiff.Commands.Containers;

/// <summary>The networking flags of `run` and `create`, and the <see cref="NetworkRequest"/> they make.</summary>
public sealed class NetworkFlags
{
    public Option<string[]> Network { get; } = new("--network", "--net") { Description = "Connect a container to a network (bridge, NAME, none, host, container:NAME|ID); repeat for several" };
    public Option<string?> Ip { get; } = new("--ip") { Description = "IPv4 address (e.g., 172.30.100.104)" };
    public Option<string?> Ip6 { get; } = new("--ip6") { Description = "IPv6 address (e.g., 2001:db8::33)" };
    public Option<string?> MacAddress { get; } = new("--mac-address") { Description = "Container MAC address (e.g., 92:d0:c6:0a:29:33)" };
    public Option<string[]> Alias { get; } = new("--network-alias") { Description = "Add network-scoped alias for the container" };
    public Option<string[]> Dns { get; } = new("--dns") { Description = "Set custom DNS servers" };
    public Option<string[]> DnsSearch { get; } = new("--dns-search") { Description = "Set custom DNS search domains" };
    public Option<string[]> DnsOption { get; } = new("--dns-option", "--dns-opt") { Description = "Set DNS options" };
    public Option<string[]> AddHost { get; } = new("--add-host") { Description = "Add a custom host-to-IP mapping (host:ip, ip may be host-gateway)" };
    public Option<string[]> Publish { get; } = new("--publish", "-p") { Description = "Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/proto])" };
    public Option<bool> PublishAll { get; } = new("--publish-all", "-P") { Description = "Publish all exposed ports to random ports" };
    public Option<string[]> Expose { get; } = new("--expose") { Description = "Expose a port or a range of ports" };

    public IEnumerable<Option> All => [Network, Ip, Ip6, MacAddress, Alias, Dns, DnsSearch, DnsOption, AddHost, Publish, PublishAll, Expose];

    public NetworkRequest Request(ParseResult parse)
    {
        NetworkRequest request = new()
        {
            Dns = [.. parse.GetValue(Dns) ?? []],
            DnsSearch = [.. parse.GetValue(DnsSearch) ?? []],
            DnsOptions = [.. parse.GetValue(DnsOption) ?? []],
            ExtraHosts = [.. (parse.GetValue(AddHost) ?? []).Select(h => h.Contains('=') && !h.Contains(':') ? h.Replace('=', ':') : h)],
            PublishAll = parse.GetValue(PublishAll),
        };
        foreach (string server in request.Dns)
            if (!System.Net.IPAddress.TryParse(server, out _)) throw new EngineException($"--dns {server}: not an IP address");
        foreach (string port in parse.GetValue(Publish) ?? []) request.Ports.Add(PortSpec.Parse(port));
        foreach (string expose in parse.GetValue(Expose) ?? []) request.Expose.AddRange(PortSpec.Exposed(expose));
        string[] networks = [.. (parse.GetValue(Network) ?? []).SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries))];
        List<string> aliases = [.. parse.GetValue(Alias) ?? []];
        string? ip = parse.GetValue(Ip), ip6 = parse.GetValue(Ip6), mac = parse.GetValue(MacAddress);
        foreach (string network in networks)
        {
            if (network is "none" or "host" || network.StartsWith("container:", StringComparison.Ordinal))
            {
                if (networks.Length > 1) throw new EngineException($"--network {network} cannot be combined with other networks");
                request.Mode = network;
            }
            else request.Networks.Add(new NetworkChoice { Name = network });
        }
        if (request.Mode is not null && (ip ?? ip6 ?? mac) is not null)
            throw new EngineException($"--ip, --ip6 and --mac-address need a network to apply to, not --network {request.Mode}");
        if (request.Mode is not null && aliases.Count > 0)
            throw new EngineException($"--network-alias needs a network to apply to, not --network {request.Mode}");
        // Like Docker: the per-endpoint flags apply to the first network given (the default one when none is).
        if (request.Mode is null && ((ip ?? ip6 ?? mac) is not null || aliases.Count > 0))
        {
            if (request.Networks.Count == 0) request.Networks.Add(new NetworkChoice { Name = NetworkStore.DefaultName });
            NetworkChoice first = request.Networks[0];
            first.Ipv4 = ip;
            first.Ipv6 = ip6;
            first.Mac = mac;
            first.Aliases = aliases;
        }
        return request;
    }
}
