using System.Diagnostics;
using System.Net;
using Skiff.Engine.Network;

namespace Skiff.Engine.Tests.Network;

/// <summary>
/// Another machine, played by a network namespace of the test's own with a veth pair into the host
/// on a free /30: the host end is <see cref="HostAddress"/>, the namespace's <see cref="Address"/>.
/// Dispose deletes both.
/// </summary>
public sealed class OtherHost : IDisposable
{
    private readonly string _namespace, _hostLink;
    private readonly List<Process> _servers = [];
    private readonly List<string> _directories = [];

    public OtherHost()
    {
        string token = Guid.NewGuid().ToString("N")[..8];
        _namespace = "skiff-test-" + token;
        _hostLink = "skh" + token;
        string peer = "skp" + token;
        IPNetwork subnet = FreeSlash30();
        HostAddress = Cidr.Nth(subnet, 1).ToString();
        Address = Cidr.Nth(subnet, 2).ToString();
        try
        {
            NetworkSuite.Host("ip", "netns", "add", _namespace);
            NetworkSuite.Host("ip", "link", "add", _hostLink, "type", "veth", "peer", "name", peer);
            NetworkSuite.Host("ip", "link", "set", peer, "netns", _namespace);
            NetworkSuite.Host("ip", "addr", "add", $"{HostAddress}/30", "dev", _hostLink);
            NetworkSuite.Host("ip", "link", "set", _hostLink, "up");
            InNamespace("ip", "addr", "add", $"{Address}/30", "dev", peer);
            InNamespace("ip", "link", "set", peer, "up");
            InNamespace("ip", "link", "set", "lo", "up");
            InNamespace("ip", "route", "add", "default", "via", HostAddress);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string HostAddress { get; }
    public string Address { get; }

    /// <summary>GET from the other host (busybox wget, no proxy); null when nothing answers after the given attempts.</summary>
    public string? Fetch(string url, int attempts)
    {
        for (int i = 0; i < attempts; i++)
        {
            (int exit, string output) = NetworkSuite.TryHost("ip", "netns", "exec", _namespace, "env", "-i", "/usr/bin/busybox", "timeout", "3", "/usr/bin/busybox", "wget", "-q", "-O-", url);
            if (exit == 0) return output;
            if (i + 1 < attempts) Thread.Sleep(200);
        }
        return null;
    }

    /// <summary>An HTTP server in the other host answering "hello" on <paramref name="port"/>.</summary>
    public void Serve(int port)
    {
        string root = Directory.CreateTempSubdirectory("skiff-other-host").FullName;
        _directories.Add(root);
        File.WriteAllText(Path.Combine(root, "index.html"), "hello\n");
        Start(port, root);
    }

    /// <summary>An HTTP server in the other host answering, at <c>/cgi-bin/from</c>, the address the request came from.</summary>
    public void ServeRemoteAddress(int port)
    {
        string root = Directory.CreateTempSubdirectory("skiff-other-host").FullName;
        _directories.Add(root);
        string script = Path.Combine(root, "cgi-bin", "from");
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.WriteAllText(script, "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$REMOTE_ADDR\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Start(port, root);
    }

    private void Start(int port, string root)
    {
        ProcessStartInfo start = new("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["netns", "exec", _namespace, "/usr/bin/busybox", "httpd", "-f", "-p", $"{Address}:{port}", "-h", root]) start.ArgumentList.Add(arg);
        _servers.Add(Process.Start(start)!);
    }

    private void InNamespace(params string[] args) => NetworkSuite.Host("ip", ["netns", "exec", _namespace, .. args]);

    private static IPNetwork FreeSlash30()
    {
        List<IPNetwork> routes = Cidr.HostRoutes();
        for (int attempt = 0; ; attempt++)
        {
            IPNetwork candidate = new(new IPAddress([10, 199, (byte)Random.Shared.Next(0, 256), (byte)(Random.Shared.Next(0, 64) * 4)]), 30);
            if (!routes.Any(r => Cidr.Overlaps(r, candidate))) return candidate;
        }
    }

    public void Dispose()
    {
        foreach (Process server in _servers)
        {
            try
            {
                if (!server.HasExited) server.Kill(entireProcessTree: true);
                server.WaitForExit();
            }
            finally
            {
                server.Dispose();
            }
        }
        foreach (string directory in _directories) Directory.Delete(directory, recursive: true);
        // Deleting one end of a veth deletes the pair; the namespace goes after it.
        NetworkSuite.TryHost("ip", "link", "del", _hostLink);
        NetworkSuite.TryHost("ip", "netns", "del", _namespace);
    }
}

/// <summary>
/// A link for macvlan and ipvlan networks to hang from: one end of a veth pair, up on the host with
/// no address; the other end is up in a network namespace of the test's own, so the parent has a
/// carrier and no frame leaves the machine. Dispose deletes both.
/// </summary>
public sealed class ParentLink : IDisposable
{
    private readonly string _namespace;

    public ParentLink()
    {
        string token = Guid.NewGuid().ToString("N")[..8];
        _namespace = "skiff-test-lan-" + token;
        Name = "skl" + token;
        string peer = "slp" + token;
        try
        {
            NetworkSuite.Host("ip", "netns", "add", _namespace);
            NetworkSuite.Host("ip", "link", "add", Name, "type", "veth", "peer", "name", peer);
            NetworkSuite.Host("ip", "link", "set", peer, "netns", _namespace);
            NetworkSuite.Host("ip", "netns", "exec", _namespace, "ip", "link", "set", peer, "up");
            NetworkSuite.Host("ip", "link", "set", Name, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }

    public void Dispose()
    {
        NetworkSuite.TryHost("ip", "link", "del", Name);
        NetworkSuite.TryHost("ip", "netns", "del", _namespace);
    }
}
