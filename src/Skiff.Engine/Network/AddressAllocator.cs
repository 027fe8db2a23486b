using System.Net;
using Skiff.Engine.Store;

namespace Skiff.Engine.Network;

/// <summary>
/// Hands out a network's addresses as leases in the database: a static one when asked (refused
/// if another container holds it), else the lowest free one of the subnet's range, never the
/// network address, the gateway or the IPv4 broadcast address.
/// </summary>
public sealed class AddressAllocator(EngineDatabase database)
{
    /// <summary>One address per subnet of the network, in CIDR form ("10.90.0.5/24").</summary>
    public List<string> Allocate(NetworkDefinition network, string containerId, string? ipv4, string? ipv6)
    {
        List<string> addresses = [];
        foreach (SubnetDefinition definition in network.Subnets)
        {
            IPNetwork subnet = IPNetwork.Parse(definition.Subnet);
            string? wanted = Cidr.IsV4(subnet) ? ipv4 : ipv6;
            string what = $"network {network.Name}";
            string address;
            if (wanted is not null)
            {
                IPAddress ip = Requested(network, definition, subnet, wanted);
                address = database.Lease(network.Id, containerId, used => used.Contains(ip.ToString()) ? throw new EngineException($"{what}: address {wanted} is already in use") : ip.ToString(), what);
            }
            else
            {
                IPNetwork range = definition.IpRange is { } r ? IPNetwork.Parse(r) : subnet;
                address = database.Lease(network.Id, containerId, used => LowestFree(subnet, range, definition.Gateway, used), what);
            }
            addresses.Add($"{address}/{subnet.PrefixLength}");
        }
        return addresses;
    }

    /// <summary>
    /// Refuses a requested --ip/--ip6 the network cannot give (outside every subnet of its family,
    /// or its gateway or network address), before anything is recorded: <c>network connect</c> of a
    /// stopped container checks it then, as Docker does, not at its next start.
    /// </summary>
    public static void CheckRequested(NetworkDefinition network, string? ipv4, string? ipv6)
    {
        foreach ((string? wanted, bool v4) in (ReadOnlySpan<(string?, bool)>)[(ipv4, true), (ipv6, false)])
        {
            if (wanted is null) continue;
            SubnetDefinition[] family = [.. network.Subnets.Where(s => Cidr.IsV4(IPNetwork.Parse(s.Subnet)) == v4)];
            if (family.Length == 0) throw new EngineException($"network {network.Name}: it has no {(v4 ? "IPv4" : "IPv6")} subnet for address {wanted}");
            foreach (SubnetDefinition definition in family) Requested(network, definition, IPNetwork.Parse(definition.Subnet), wanted);
        }
    }

    private static IPAddress Requested(NetworkDefinition network, SubnetDefinition definition, IPNetwork subnet, string wanted)
    {
        IPAddress ip = Cidr.ParseAddress(wanted, Cidr.IsV4(subnet) ? "--ip" : "--ip6");
        if (!subnet.Contains(ip)) throw new EngineException($"network {network.Name}: address {wanted} is not in subnet {subnet}");
        if (ip.ToString() == definition.Gateway || ip.Equals(subnet.BaseAddress)) throw new EngineException($"network {network.Name}: address {wanted} is the network's own");
        return ip;
    }

    private static string? LowestFree(IPNetwork subnet, IPNetwork range, string gateway, HashSet<string> used)
    {
        UInt128 first = UInt128.Max(Cidr.First(range), Cidr.First(subnet) + 1);
        UInt128 last = Cidr.Last(range);
        if (Cidr.IsV4(subnet) && last == Cidr.Last(subnet)) last--;
        for (UInt128 n = first; n <= last && n >= first; n++)
        {
            string candidate = Cidr.Address(n, subnet.BaseAddress.AddressFamily).ToString();
            if (candidate != gateway && !used.Contains(candidate)) return candidate;
        }
        return null;
    }
}
