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
}
