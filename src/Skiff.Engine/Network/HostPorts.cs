using System.Net;
using System.Net.Sockets;

namespace Skiff.Engine.Network;

/// <summary>Which host ports a container's published ports may take.</summary>
internal static class HostPorts
{
    /// <summary>Whether two mappings claim a common host port of one protocol on a common address.</summary>
    public static bool Clash(PortMapping port, PortMapping other) =>
        other.Protocol == port.Protocol && (other.HostIp == port.HostIp || other.HostIp.Length == 0 || port.HostIp.Length == 0)
        && port.HostPort < other.HostPort + other.Range && other.HostPort < port.HostPort + port.Range;

    /// <summary>
    /// A port the kernel would hand out now (what Docker's -P does too) that no mapping in
    /// <paramref name="held"/> claims. The kernel knows only bound sockets, and another container's
    /// published port is a DNAT rule, not a socket: without the check, two of fifty containers
    /// started together were now and then given one port, and the second failed to start.
    /// </summary>
    public static ushort Free(string hostIp, string protocol, IReadOnlyList<PortMapping> held, Func<string, string, ushort>? offer = null)
    {
        offer ??= KernelOffer;
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            PortMapping candidate = new(hostIp, offer(hostIp, protocol), 0, 1, protocol);
            if (!held.Any(h => Clash(candidate, h))) return candidate.HostPort;
        }
        throw new EngineException($"no free {protocol} port on {(hostIp.Length > 0 ? hostIp : "0.0.0.0")}: each port the kernel offered is published by another container");
    }

    /// <summary>The port a bind to port 0 gets: one no socket holds.</summary>
    private static ushort KernelOffer(string hostIp, string protocol)
    {
        IPAddress address = hostIp.Length > 0 ? IPAddress.Parse(hostIp) : IPAddress.Any;
        using Socket socket = protocol == "udp"
            ? new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
