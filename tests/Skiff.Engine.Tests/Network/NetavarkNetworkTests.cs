using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests.Network;

/// <summary>The network behaviours on netavark and aardvark-dns (the default backend).</summary>
[Collection(EngineCollection.Name)]
public sealed class NetavarkNetworkTests(NetavarkSuite suite) : NetworkBehaviour(suite), IClassFixture<NetavarkSuite>
{
    [Fact]
    public void Names_resolve_through_aardvark_dns_too()
    {
        (string network, _) = Suite.CreateNetwork();
        string server = Name("srv");
        string id = Suite.Ok("run", "-d", "--name", server, "--network", network, "--network-alias", "dnsname", "busybox", "sleep", "1000").Trim();
        try
        {
            string address = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.IPAddress}}}}", id).Trim();
            string gateway = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.Gateway}}}}", id).Trim();
            string answer = Suite.Ok("run", "--rm", "--network", network, "busybox", "nslookup", "dnsname", gateway);
            Assert.Contains(address, answer);
            Assert.Contains($"nameserver {gateway}", Suite.Ok("run", "--rm", "--network", network, "busybox", "cat", "/etc/resolv.conf"));
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
            Suite.Ok("network", "rm", network);
        }
    }

    [Fact]
    public void Bridges_accept_no_router_advertisements()
    {
        (string network, _) = Suite.CreateNetwork();
        string id = Suite.Ok("run", "-d", "--network", network, "busybox", "sleep", "1000").Trim();
        try
        {
            string bridge = Suite.Ok("network", "inspect", "-f", "{{.NetworkInterface}}", network).Trim();
            Assert.Equal("0", File.ReadAllText($"/proc/sys/net/ipv6/conf/{bridge}/accept_ra").Trim());
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
            Suite.Ok("network", "rm", network);
        }
    }

    [Fact]
    public void Two_engines_networks_of_one_name_keep_their_own_nat_chains()
    {
        // A second engine root with a network of the same name, as a second skiff root or Podman
        // beside skiff would have: each network's masquerade must jump to a chain of its own, and
        // removing one network must leave the other's rules in place.
        using EngineSuite other = new("\"network_backend\": \"netavark\"");
        string name = "same" + Guid.NewGuid().ToString("N")[..8];
        string mine = Suite.FreeSubnet(), theirs = Suite.FreeSubnet();
        Suite.Ok("network", "create", "--subnet", mine, name);
        other.Ok("network", "create", "--subnet", theirs, name);
        string? a = null, b = null;
        bool mineRemoved = false;
        try
        {
            a = Suite.Ok("run", "-d", "--network", name, "busybox", "sleep", "1000").Trim();
            b = other.Ok("run", "-d", "--network", name, "busybox", "sleep", "1000").Trim();
            string myChain = NatChainOf(mine), theirChain = NatChainOf(theirs);
            Assert.NotEqual(myChain, theirChain);

            Suite.Ok("rm", "-f", a);
            a = null;
            Suite.Ok("network", "rm", name);
            mineRemoved = true;
            Assert.Equal(theirChain, NatChainOf(theirs));
            Assert.Contains($"-A {theirChain} -d {theirs} -j ACCEPT", NetworkSuite.Host("iptables", "-t", "nat", "-S", theirChain));
        }
        finally
        {
            if (a is not null) Suite.Run("rm", "-f", a);
            if (!mineRemoved) Suite.Run("network", "rm", name);
            if (b is not null) other.Run("rm", "-f", b);
            other.Run("network", "rm", name);
        }
    }

    [Fact]
    public void Network_rm_gets_past_a_retire_namespace_a_killed_rm_left_bound()
    {
        (string network, string subnet) = Suite.CreateNetwork();
        (string bridge, string keeper) = Suite.LinksOf(network);
        string retire = Path.Combine(Suite.Engine.Root, "netavark", "retire-" + Suite.Ok("network", "inspect", "-f", "{{.Id}}", network).Trim()[..12]);
        Suite.Ok("run", "--rm", "--network", network, "busybox", "true");
        try
        {
            // What a network rm killed during its retire step leaves: a namespace still bound on the retire path.
            File.Create(retire).Dispose();
            NetworkSuite.Host("unshare", $"--net={retire}", "true");
            Assert.True(Skiff.Engine.Network.NetworkNamespace.IsMounted(retire));
            Suite.Ok("network", "rm", network);
            Assert.False(File.Exists(retire));
            Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains($" {retire} ", StringComparison.Ordinal));
            Suite.AssertNetworkGone((bridge, keeper), subnet);
        }
        finally
        {
            while (NetworkSuite.TryHost("umount", retire).Exit == 0) { }
            File.Delete(retire);
        }
    }

    /// <summary>The chain POSTROUTING sends a subnet's traffic to (netavark's masquerade chain of its network).</summary>
    private static string NatChainOf(string subnet)
    {
        string rule = NetworkSuite.Host("iptables", "-t", "nat", "-S", "POSTROUTING").Split('\n')
            .Single(l => l.StartsWith($"-A POSTROUTING -s {subnet} -j ", StringComparison.Ordinal));
        return rule.Split(' ')[^1];
    }
}
