using System.Globalization;
using System.Net;

namespace Skiff.Engine.Network;

/// <summary>Docker's -p forms: [[IP:][HOSTPORT[-END]]:]CTRPORT[-END][/PROTO], IPv6 hosts in brackets.</summary>
public static class PortSpec
{
    public static PortRequest Parse(string text)
    {
        string spec = text, protocol = "tcp";
        int slash = spec.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = spec[(slash + 1)..].ToLowerInvariant();
            spec = spec[..slash];
            if (protocol is not ("tcp" or "udp" or "sctp")) throw Invalid(text, $"protocol \"{protocol}\" is not tcp, udp or sctp");
        }
        string hostIp = "";
        if (spec.StartsWith('['))
        {
            int close = spec.IndexOf(']');
            if (close < 0 || close + 1 >= spec.Length || spec[close + 1] != ':') throw Invalid(text, "an IPv6 host address in brackets must be followed by :");
            hostIp = spec[1..close];
            spec = spec[(close + 2)..];
            if (!IPAddress.TryParse(hostIp, out _)) throw Invalid(text, $"\"{hostIp}\" is not an IP address");
        }
        string[] parts = spec.Split(':');
        string hostPorts = "", containerPorts;
        switch (parts.Length)
        {
            case 1: containerPorts = parts[0]; break;
            case 2: hostPorts = parts[0]; containerPorts = parts[1]; break;
            case 3 when hostIp.Length == 0:
                hostIp = parts[0]; hostPorts = parts[1]; containerPorts = parts[2];
                if (!IPAddress.TryParse(hostIp, out _)) throw Invalid(text, $"\"{hostIp}\" is not an IP address");
                break;
            default: throw Invalid(text, "too many colons");
        }
        (ushort containerPort, ushort range) = Ports(containerPorts, text, "container port");
        if (IPAddress.TryParse(hostIp, out IPAddress? address) && IPAddress.IsLoopback(address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            throw Invalid(text, "::1 cannot be published: the kernel does not route IPv6 loopback traffic to a container's address, and skiff has no userland proxy; publish on 127.0.0.1");
        ushort hostPort = 0, hostPortEnd = 0;
        if (hostPorts.Length > 0)
        {
            (hostPort, ushort hostRange) = Ports(hostPorts, text, "host port");
            if (hostRange > 1 && range == 1) hostPortEnd = (ushort)(hostPort + hostRange - 1);
            else if (hostRange != range) throw Invalid(text, $"the host range has {hostRange} ports and the container range {range}");
        }
        return new PortRequest { HostIp = hostIp, HostPort = hostPort, HostPortEnd = hostPortEnd, ContainerPort = containerPort, Range = range, Protocol = protocol };
    }

    /// <summary>--expose PORT[-END][/PROTO] and the image's EXPOSE keys: each port as "PORT/PROTO".</summary>
    public static IEnumerable<string> Exposed(string text)
    {
        string protocol = "tcp", spec = text;
        if (text.LastIndexOf('/') is int slash and >= 0)
        {
            protocol = text[(slash + 1)..].ToLowerInvariant();
            spec = text[..slash];
        }
        if (protocol is not ("tcp" or "udp" or "sctp")) throw new EngineException($"invalid exposed port {text}: protocol \"{protocol}\" is not tcp, udp or sctp");
        (ushort first, ushort range) = Ports(spec, text, "port");
        for (int i = 0; i < range; i++) yield return $"{first + i}/{protocol}";
    }

    private static (ushort First, ushort Range) Ports(string text, string whole, string what)
    {
        string[] ends = text.Split('-');
        if (ends.Length > 2) throw Invalid(whole, $"{what} \"{text}\" is not a port or a range");
        ushort first = Port(ends[0], whole, what);
        ushort last = ends.Length == 2 ? Port(ends[1], whole, what) : first;
        if (last < first) throw Invalid(whole, $"{what} range {text} ends before it starts");
        return (first, (ushort)(last - first + 1));
    }

    private static ushort Port(string text, string whole, string what) =>
        ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) && port > 0
            ? port
            : throw Invalid(whole, $"{what} \"{text}\" is not a number between 1 and 65535");

    private static EngineException Invalid(string text, string reason) => new($"invalid port specification \"{text}\": {reason}");
}
