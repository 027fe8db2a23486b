using System.Net;
using System.Net.Sockets;
using Skiff.Engine.Network;

namespace Skiff.Engine.Tests.Network;

public sealed class HostPortsTests
{
    [Fact]
    public void A_port_the_kernel_offers_again_is_passed_over_while_another_container_publishes_it()
    {
        PortMapping published = new("127.0.0.1", 40001, 80, 1, "tcp");
        Assert.Equal(40003, HostPorts.Free("127.0.0.1", "tcp", [published], [40001, 40001, 40003]));
    }

    [Fact]
    public void A_port_published_on_every_address_or_inside_a_range_is_held_on_each_address()
    {
        PortMapping everywhere = new("", 40001, 80, 1, "tcp");
        PortMapping range = new("127.0.0.1", 40010, 80, 5, "tcp");
        Assert.Equal(40015, HostPorts.Free("127.0.0.1", "tcp", [everywhere, range], [40001, 40014, 40015]));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("")]
    public void A_port_another_container_publishes_on_every_address_is_refused_on_one(string everyAddress)
    {
        ushort port = FreePorts(1);
        PortMapping published = new(everyAddress, port, 80, 1, "tcp");
        EngineException error = Assert.Throws<EngineException>(() => HostPorts.Assign([Request("127.0.0.1", port)], [], [published]));
        Assert.Equal($"Bind for 127.0.0.1:{port} failed: port is already allocated", error.Message);
    }

    [Fact]
    public void One_container_cannot_publish_one_host_port_twice()
    {
        ushort port = FreePorts(1);
        EngineException error = Assert.Throws<EngineException>(() => HostPorts.Assign([Request("127.0.0.1", port), Request("127.0.0.1", port, containerPort: 81)], [], []));
        Assert.Equal($"Bind for 127.0.0.1:{port} failed: port is already allocated", error.Message);
    }

    [Fact]
    public void The_same_port_number_is_free_for_another_protocol_or_another_address()
    {
        PortMapping udp = new("127.0.0.1", 40001, 53, 1, "udp");
        PortMapping elsewhere = new("127.0.0.2", 40001, 80, 1, "tcp");
        Assert.Equal(40001, HostPorts.Free("127.0.0.1", "tcp", [udp, elsewhere], [40001]));
    }

    [Fact]
    public void A_host_port_a_host_process_listens_on_is_refused_naming_the_reason()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        EngineException error = Assert.Throws<EngineException>(() => HostPorts.Assign([Request("127.0.0.1", port)], [], []));
        Assert.Equal($"Bind for 127.0.0.1:{port} failed: address already in use", error.Message);
        // On every address too: the listener's address is one of them.
        Assert.Throws<EngineException>(() => HostPorts.Assign([Request("", port)], [], []));
    }

    [Fact]
    public void A_host_address_that_is_not_the_hosts_is_refused_naming_the_reason()
    {
        // 192.0.2.0/24 is TEST-NET-1: never a host's address, and nothing is sent to it.
        EngineException error = Assert.Throws<EngineException>(() => HostPorts.Assign([Request("192.0.2.1", 18080)], [], []));
        Assert.Equal("Bind for 192.0.2.1:18080 failed: cannot assign requested address (not an address of this host)", error.Message);
    }

    [Fact]
    public void A_host_range_for_one_container_port_takes_its_first_free_port()
    {
        ushort first = FreePorts(2);
        PortMapping published = new("127.0.0.1", first, 80, 1, "tcp");
        PortRequest range = new() { HostIp = "127.0.0.1", HostPort = first, HostPortEnd = (ushort)(first + 1), ContainerPort = 80, Protocol = "tcp" };
        Assert.Equal([new PortMapping("127.0.0.1", (ushort)(first + 1), 80, 1, "tcp")], HostPorts.Assign([range], [], [published]));
        EngineException error = Assert.Throws<EngineException>(() => HostPorts.Assign([range], [], [published, published with { HostPort = (ushort)(first + 1) }]));
        Assert.Equal($"Bind for 127.0.0.1:{first}-{first + 1} failed: every port of the range is allocated or in use", error.Message);
    }

    [Fact]
    public void When_every_offer_is_published_the_error_names_the_address_and_protocol()
    {
        PortMapping published = new("127.0.0.1", 40001, 80, 1, "tcp");
        EngineException error = Assert.Throws<EngineException>(() => HostPorts.Free("127.0.0.1", "tcp", [published], [40001, 40001]));
        Assert.Equal("no free tcp port on 127.0.0.1: each port offered is published by another container", error.Message);
    }

    [Fact]
    public void The_kernels_offer_is_a_port_a_socket_can_bind()
    {
        ushort port = HostPorts.Free("127.0.0.1", "tcp", []);
        using TcpListener listener = new(IPAddress.Loopback, port);
        listener.Start();
        Assert.Equal(port, ((IPEndPoint)listener.LocalEndpoint).Port);
    }

    [Theory]
    [InlineData("18100-18110:80", 18100, 18110, 1)]
    [InlineData("18100-18101:80-81", 18100, 0, 2)]
    [InlineData("127.0.0.1:18100:80", 18100, 0, 1)]
    public void Host_ranges_parse_as_Docker_reads_them(string spec, int hostPort, int hostPortEnd, int range)
    {
        PortRequest request = PortSpec.Parse(spec);
        Assert.Equal((hostPort, hostPortEnd, range), (request.HostPort, request.HostPortEnd, request.Range));
    }

    [Fact]
    public void The_ipv6_loopback_is_refused_with_the_reason()
    {
        EngineException error = Assert.Throws<EngineException>(() => PortSpec.Parse("[::1]:18140:80"));
        Assert.Contains("::1 cannot be published", error.Message);
        Assert.Throws<EngineException>(() => PortSpec.Parse("18100-18102:80-81"));
    }

    private static PortRequest Request(string hostIp, ushort hostPort, ushort containerPort = 80) =>
        new() { HostIp = hostIp, HostPort = hostPort, ContainerPort = containerPort, Protocol = "tcp" };

    /// <summary>The first of <paramref name="count"/> consecutive loopback TCP ports no socket holds now.</summary>
    private static ushort FreePorts(int count)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            List<TcpListener> held = [];
            try
            {
                TcpListener first = new(IPAddress.Loopback, 0);
                first.Start();
                held.Add(first);
                int port = ((IPEndPoint)first.LocalEndpoint).Port;
                if (port + count > 65535) continue;
                for (int i = 1; i < count; i++)
                {
                    TcpListener next = new(IPAddress.Loopback, port + i);
                    next.Start();
                    held.Add(next);
                }
                return (ushort)port;
            }
            catch (SocketException)
            {
            }
            finally
            {
                foreach (TcpListener listener in held) listener.Stop();
            }
        }
        throw new InvalidOperationException("no consecutive free ports");
    }
}
