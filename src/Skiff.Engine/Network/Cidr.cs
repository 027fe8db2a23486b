using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Skiff.Engine.Network;

/// <summary>Address arithmetic over IPv4 and IPv6 prefixes.</summary>
public static class Cidr
{
    public static IPNetwork Parse(string text, string what)
    {
        if (!text.Contains('/') || !IPNetwork.TryParse(text, out IPNetwork network))
        {
            // IPNetwork refuses host bits; Docker too, with this message.
            if (text.Contains('/') && IPAddress.TryParse(text[..text.IndexOf('/')], out _) && int.TryParse(text[(text.IndexOf('/') + 1)..], out _))
                throw new EngineException($"{what} {text}: invalid CIDR address: host bits are set (the network address of a prefix is wanted)");
            throw new EngineException($"{what} {text}: invalid CIDR address");
        }
        return network;
    }

    public static IPAddress ParseAddress(string text, string what) =>
        IPAddress.TryParse(text, out IPAddress? address) && !text.Contains('/') ? address : throw new EngineException($"{what} {text}: not an IP address");

    public static UInt128 Number(IPAddress address)
    {
        UInt128 value = 0;
        foreach (byte b in address.GetAddressBytes()) value = (value << 8) | b;
        return value;
    }

    public static IPAddress Address(UInt128 value, AddressFamily family)
    {
        byte[] bytes = new byte[family == AddressFamily.InterNetwork ? 4 : 16];
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xff);
            value >>= 8;
        }
        return new IPAddress(bytes);
    }

    public static int Bits(IPNetwork network) => network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;

    public static UInt128 First(IPNetwork network) => Number(network.BaseAddress);

    public static UInt128 Last(IPNetwork network)
    {
        int host = Bits(network) - network.PrefixLength;
        return First(network) + (host == 128 ? UInt128.MaxValue : (UInt128.One << host) - 1);
    }

    public static bool Overlaps(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && First(a) <= Last(b) && First(b) <= Last(a);

    /// <summary>The n-th address of a prefix (0 is the network address).</summary>
    public static IPAddress Nth(IPNetwork network, UInt128 n) => Address(First(network) + n, network.BaseAddress.AddressFamily);

    public static bool IsV4(IPNetwork network) => network.BaseAddress.AddressFamily == AddressFamily.InterNetwork;

    /// <summary>The host's IPv4 and IPv6 routes but default routes, which cover everything.</summary>
    public static List<IPNetwork> HostRoutes()
    {
        List<IPNetwork> routes = [];
        if (File.Exists("/proc/net/route"))
            foreach (string line in File.ReadLines("/proc/net/route").Skip(1))
            {
                string[] f = line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (f.Length < 8) continue;
                uint destination = uint.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                uint mask = uint.Parse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (mask == 0) continue;
                // The file holds them in host (little-endian) byte order.
                routes.Add(new IPNetwork(new IPAddress(destination), System.Numerics.BitOperations.PopCount(mask)));
            }
        if (File.Exists("/proc/net/ipv6_route"))
            foreach (string line in File.ReadLines("/proc/net/ipv6_route"))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 2) continue;
                int prefix = int.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (prefix == 0 || prefix == 128) continue;
                IPAddress address = new(Convert.FromHexString(f[0]));
                if (address.IsIPv6LinkLocal || address.IsIPv6Multicast || f[0].StartsWith("ff", StringComparison.Ordinal)) continue;
                routes.Add(new IPNetwork(address, prefix));
            }
        return routes;
    }
}
