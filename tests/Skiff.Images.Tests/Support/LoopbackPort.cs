using System.Net;
using System.Net.Sockets;

namespace Skiff.Images.Tests.Support;

/// <summary>
/// Ports on 127.0.0.1 for the test servers. They come from below the kernel's ephemeral range, so
/// the local port of some outgoing connection cannot take one between choosing and binding it; a
/// server that still loses the race (another test run chose the same port) starts over on another.
/// </summary>
public static class LoopbackPort
{
    private const int Attempts = 20;

    /// <summary>Runs <paramref name="start"/> on candidate ports until it does not throw <see cref="PortTakenException"/>.</summary>
    public static T Start<T>(Func<int, T> start)
    {
        for (int attempt = 1; ; attempt++)
        {
            try { return start(Candidate()); }
            catch (PortTakenException) when (attempt < Attempts) { }
        }
    }

    /// <summary>An HttpListener started on a free port for each of <paramref name="hosts"/>.</summary>
    public static (HttpListener Listener, int Port) Listen(params string[] hosts) => Start(port =>
    {
        HttpListener listener = new();
        foreach (string host in hosts) listener.Prefixes.Add($"http://{host}:{port}/");
        try
        {
            listener.Start();
            return (listener, port);
        }
        catch (HttpListenerException error)
        {
            listener.Close();
            throw new PortTakenException(port, error);
        }
    });

    private static int Candidate()
    {
        int ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0]);
        int low = Math.Min(20000, ephemeralLow / 2);
        while (true)
        {
            int port = Random.Shared.Next(low, ephemeralLow);
            using Socket probe = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try { probe.Bind(new IPEndPoint(IPAddress.Loopback, port)); return port; }
            catch (SocketException) { }
        }
    }
}

/// <summary>The server could not bind its port because something else holds it.</summary>
public sealed class PortTakenException(int port, Exception? inner = null)
    : Exception($"127.0.0.1:{port} is already in use", inner);
