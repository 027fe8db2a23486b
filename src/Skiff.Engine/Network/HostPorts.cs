using System.Net;
using System.Net.Sockets;

namespace Skiff.Engine.Network;

/// <summary>
/// Which host ports a container's published ports take. A published port is a DNAT rule, not a
/// socket, so the kernel knows nothing of the ports other containers publish, and the rule would
/// take traffic from a host process listening on the port: both are checked here.
/// </summary>
internal static class HostPorts
{
    /// <summary>
    /// The mappings of a run: each -p as asked (refused when another mapping or a host socket
    /// holds one of its ports), a free port where no host port was given, the first free port of
    /// a host range given for one container port, and each of <paramref name="publishAll"/>'s
    /// ports ("PORT/PROTO", -P) not published otherwise.
    /// </summary>
    public static List<PortMapping> Assign(IEnumerable<PortRequest> requests, IEnumerable<string> publishAll, IReadOnlyList<PortMapping> taken)
    {
        List<PortMapping> ports = [];
        foreach (PortRequest port in requests)
        {
            if (port.HostPort == 0)
            {
                for (int i = 0; i < port.Range; i++)
                    ports.Add(new PortMapping(port.HostIp, Free(port.HostIp, port.Protocol, [.. taken, .. ports]), (ushort)(port.ContainerPort + i), 1, port.Protocol));
            }
            else if (port.HostPortEnd > port.HostPort)
            {
                ports.Add(new PortMapping(port.HostIp, FirstFreeOfRange(port, [.. taken, .. ports]), port.ContainerPort, 1, port.Protocol));
            }
            else
            {
                PortMapping mapping = new(port.HostIp, port.HostPort, port.ContainerPort, port.Range, port.Protocol);
                Claim(mapping, [.. taken, .. ports]);
                ports.Add(mapping);
            }
        }
        foreach (string entry in publishAll)
        {
            ushort containerPort = ushort.Parse(entry[..entry.IndexOf('/')], System.Globalization.CultureInfo.InvariantCulture);
            string protocol = entry[(entry.IndexOf('/') + 1)..];
            if (ports.Any(p => p.Protocol == protocol && containerPort >= p.ContainerPort && containerPort < p.ContainerPort + p.Range)) continue;
            ports.Add(new PortMapping("", Free("", protocol, [.. taken, .. ports]), containerPort, 1, protocol));
        }
        return ports;
    }

    /// <summary>Whether two mappings claim a common host port of one protocol on a common address (0.0.0.0 and :: are every address).</summary>
    public static bool Clash(PortMapping port, PortMapping other) =>
        other.Protocol == port.Protocol && (other.HostIp == port.HostIp || IsEveryAddress(other.HostIp) || IsEveryAddress(port.HostIp))
        && port.HostPort < other.HostPort + other.Range && other.HostPort < port.HostPort + port.Range;

    private static bool IsEveryAddress(string hostIp) => hostIp is "" or "0.0.0.0" or "::";

    /// <summary>
    /// The first port of <paramref name="offers"/> (by default the kernel's, as Docker's -P takes)
    /// that no mapping in <paramref name="held"/> claims. Without the check, two of fifty
    /// containers started together were now and then given one port, and the second failed.
    /// </summary>
    public static ushort Free(string hostIp, string protocol, IReadOnlyList<PortMapping> held, IEnumerable<ushort>? offers = null)
    {
        try
        {
            foreach (ushort port in offers ?? KernelOffers(hostIp, protocol))
                if (!held.Any(h => Clash(new PortMapping(hostIp, port, 0, 1, protocol), h))) return port;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new EngineException($"no free {protocol} port on {Where(hostIp)}: the kernel's local port range is used up, by sockets and by other containers' published ports");
        }
        catch (SocketException e)
        {
            throw new EngineException($"no free {protocol} port on {Where(hostIp)}: {Reason(e)}");
        }
        throw new EngineException($"no free {protocol} port on {Where(hostIp)}: each port offered is published by another container");
    }

    /// <summary>Refuses a mapping when another mapping claims one of its ports, or a host socket holds one or cannot have its address.</summary>
    private static void Claim(PortMapping mapping, IReadOnlyList<PortMapping> held)
    {
        foreach (PortMapping other in held)
            if (Clash(mapping, other))
                throw new EngineException($"Bind for {Where(mapping.HostIp)}:{Math.Max(mapping.HostPort, other.HostPort)} failed: port is already allocated");
        for (int i = 0; i < mapping.Range; i++)
        {
            ushort port = (ushort)(mapping.HostPort + i);
            if (BindError(mapping.HostIp, mapping.Protocol, port) is { } reason)
                throw new EngineException($"Bind for {Where(mapping.HostIp)}:{port} failed: {reason}");
        }
    }

    private static ushort FirstFreeOfRange(PortRequest request, IReadOnlyList<PortMapping> held)
    {
        for (int port = request.HostPort; port <= request.HostPortEnd; port++)
        {
            PortMapping candidate = new(request.HostIp, (ushort)port, request.ContainerPort, 1, request.Protocol);
            if (!held.Any(h => Clash(candidate, h)) && BindError(request.HostIp, request.Protocol, (ushort)port) is null) return (ushort)port;
        }
        throw new EngineException($"Bind for {Where(request.HostIp)}:{request.HostPort}-{request.HostPortEnd} failed: every port of the range is allocated or in use");
    }

    /// <summary>Why a socket cannot bind the port now (a host process holds it; the address is not the host's), or null.</summary>
    private static string? BindError(string hostIp, string protocol, ushort port)
    {
        // .NET has no SCTP socket type to ask with; the SCTP rule is made unchecked, as before.
        if (protocol == "sctp") return null;
        IPAddress address = Address(hostIp);
        using Socket socket = NewSocket(address, protocol);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return null;
        }
        catch (SocketException e)
        {
            return Reason(e);
        }
    }

    /// <summary>
    /// The ports binds to port 0 get, each still bound while the next is asked for: the kernel
    /// offers a port it has just given to a socket since closed again, so a rejected offer is held
    /// until the choice is made. Ends in EADDRINUSE when the local port range is used up.
    /// </summary>
    private static IEnumerable<ushort> KernelOffers(string hostIp, string protocol)
    {
        IPAddress address = Address(hostIp);
        List<Socket> bound = [];
        try
        {
            while (true)
            {
                Socket socket = NewSocket(address, protocol);
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

    private static IPAddress Address(string hostIp) => hostIp.Length > 0 ? IPAddress.Parse(hostIp) : IPAddress.Any;

    private static Socket NewSocket(IPAddress address, string protocol) => protocol == "udp"
        ? new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

    private static string Reason(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "cannot assign requested address (not an address of this host)",
        _ => e.Message,
    };

    /// <summary>The address as Docker's messages show it: 0.0.0.0 for every address, IPv6 in brackets.</summary>
    public static string Where(string hostIp) => hostIp.Length == 0 ? "0.0.0.0" : hostIp.Contains(':') ? $"[{hostIp}]" : hostIp;
}
