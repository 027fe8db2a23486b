using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Engine.Tests.Network;

/// <summary>
/// A network namespace of the test's own whose local port range is two ports, so that what the
/// kernel offers a bind to port 0 is known. skiff runs in it through nsenter, which enters only
/// the network namespace: the engine's mounts stay the host's, and what it wires (bridge, veths,
/// rules) goes with the namespace.
/// </summary>
internal sealed class PortRangeNamespace : IDisposable
{
    public PortRangeNamespace(ushort low)
    {
        Name = "skiff-test-ports-" + Guid.NewGuid().ToString("N")[..8];
        Low = low;
        NetworkSuite.Host("ip", "netns", "add", Name);
        try
        {
            NetworkSuite.Host("ip", "netns", "exec", Name, "sh", "-c", $"ip link set lo up && echo '{low} {low + 1}' > /proc/sys/net/ipv4/ip_local_port_range");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }
    public ushort Low { get; }

    public SkiffResult Run(NetworkSuite suite, params string[] args) => suite.Engine.RunVia(["nsenter", $"--net=/run/netns/{Name}"], args);

    public string Ok(NetworkSuite suite, params string[] args)
    {
        SkiffResult result = Run(suite, args);
        Assert.True(result.Exit == 0, $"skiff {string.Join(' ', args)} in {Name}: {result}");
        return result.Out;
    }

    /// <summary>The port a bind of 127.0.0.1:0 gets in the namespace now, asked on a thread of its own that enters it.</summary>
    public ushort KernelOffer()
    {
        ushort port = 0;
        Exception? failure = null;
        Thread thread = new(() =>
        {
            try
            {
                using Microsoft.Win32.SafeHandles.SafeFileHandle ns = File.OpenHandle($"/run/netns/{Name}");
                if (Native.Setns((int)ns.DangerousGetHandle(), Native.CLONE_NEWNET) != 0)
                    throw new InvalidOperationException($"setns {Name}: errno {Marshal.GetLastPInvokeError()}");
                using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                port = (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("asking the namespace's kernel for a port failed", failure);
        return port;
    }

    public void Dispose() => NetworkSuite.TryHost("ip", "netns", "del", Name);
}
