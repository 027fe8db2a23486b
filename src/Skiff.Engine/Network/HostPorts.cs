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
    /// The first port of <paramref name="offers"/> (by default the kernel's, as Docker's -P takes)
    /// that no mapping in <paramref name="held"/> claims. The kernel knows only bound sockets, and
    /// another container's published port is a DNAT rule, not a socket: without the check, two of
    /// fifty containers started together were now and then given one port, and the second failed.
    /// </summary>
    public static ushort Free(string hostIp, string protocol, IReadOnlyList<PortMapping> held, IEnumerable<ushort>? offers = null)
    {
        string where = hostIp.Length > 0 ? hostIp : "0.0.0.0";
        try
        {
            foreach (ushort port in offers ?? KernelOffers(hostIp, protocol))
                if (!held.Any(h => Clash(new PortMapping(hostIp, port, 0, 1, protocol), h))) return port;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new EngineException($"no free {protocol} port on {where}: the kernel's local port range is used up, by sockets and by other containers' published ports");
        }
        throw new EngineException($"no free {protocol} port on {where}: each port offered is published by another container");
    }

    /// <summary>
    /// The ports binds to port 0 get, each still bound while the next is asked for: the kernel
    /// offers a port it has just given to a socket since closed again, so a rejected offer is held
    /// until the choice is made. Ends in EADDRINUSE when the local port range is used up.
    /// </summary>
    private static IEnumerable<ushort> KernelOffers(string hostIp, string protocol)
    {
        IPAddress address = hostIp.Length > 0 ? IPAddress.Parse(hostIp) : IPAddress.Any;
        List<Socket> bound = [];
        try
        {
            while (true)
            {
                Socket socket = protocol == "udp"
                    ? new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
                    : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                bound.Add(socket);
                socket.Bind(new IPEndPoint(address, 0));
                yield return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
            }
        }
        finally
        {
            foreach (Socket socket in bound) socket.Dispose();
        }
    }
}
