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

    [Fact]
    public void The_same_port_number_is_free_for_another_protocol_or_another_address()
    {
        PortMapping udp = new("127.0.0.1", 40001, 53, 1, "udp");
        PortMapping elsewhere = new("127.0.0.2", 40001, 80, 1, "tcp");
        Assert.Equal(40001, HostPorts.Free("127.0.0.1", "tcp", [udp, elsewhere], [40001]));
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
        using System.Net.Sockets.TcpListener listener = new(System.Net.IPAddress.Loopback, port);
        listener.Start();
        Assert.Equal(port, ((System.Net.IPEndPoint)listener.LocalEndpoint).Port);
    }
}
