using System.Diagnostics;
using System.Net;
using Skiff.Engine.Network;
using Skiff.Engine.Store;
using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests.Network;

/// <summary>
/// An engine suite whose private config names one network backend, with the host's network state
/// taken before the run: its Dispose removes every container and network of the run and fails it
/// if a lease, a netns file, a bridge of this root or its keeper link, or an iptables rule naming
/// one of the run's subnets or bridges is left behind. netavark's shared base chains are removed at the end when
/// they were not there before and nothing else uses them.
/// </summary>
public abstract class NetworkSuite : IDisposable
{
    private readonly string _firewallBefore;
    private readonly HashSet<string> _subnets = [];
    private readonly HashSet<string> _networksMade = [];
    private readonly HashSet<string> _keepers = [];

    /// <param name="extraConfig">More members of the engine config, as JSON.</param>
    protected NetworkSuite(string backend, string? extraConfig = null)
    {
        Backend = backend;
        _firewallBefore = Firewall();
        Engine = new EngineSuite($"\"network_backend\": \"{backend}\"" + (extraConfig is null ? "" : ", " + extraConfig));
    }

    public string Backend { get; }
    public EngineSuite Engine { get; }

    public SkiffResult Run(params string[] args) => Engine.Run(args);
    /// <summary>The engine's network namespace files: one per wired container while it runs.</summary>
    public IReadOnlyList<string> NetnsFiles()
    {
        string netns = Path.Combine(Engine.Root, "netns");
        return Directory.Exists(netns) ? [.. Directory.EnumerateFileSystemEntries(netns)] : [];
    }

    public string Ok(params string[] args) => Engine.Ok(args);

    /// <summary>A /24 in 10.200.0.0–10.239.255.0 that no host route, and no subnet this run took, covers.</summary>
    public string FreeSubnet()
    {
        List<IPNetwork> routes = Cidr.HostRoutes();
        lock (_subnets)
        {
            for (int attempt = 0; attempt < 10_000; attempt++)
            {
                IPNetwork candidate = new(new IPAddress([10, (byte)Random.Shared.Next(200, 240), (byte)Random.Shared.Next(0, 256), 0]), 24);
                if (routes.Any(r => Cidr.Overlaps(r, candidate)) || !_subnets.Add(candidate.ToString())) continue;
                return candidate.ToString();
            }
        }
        throw new InvalidOperationException("no free test subnet");
    }

    /// <summary>Creates a network on a free subnet; its name is unique to this run.</summary>
    public (string Name, string Subnet) CreateNetwork(params string[] flags)
    {
        string subnet = FreeSubnet();
        string name = "n" + Guid.NewGuid().ToString("N")[..10];
        Ok(["network", "create", "--subnet", subnet, .. flags, name]);
        lock (_networksMade) _networksMade.Add(name);
        // An IPv6 subnet the engine chose is watched in the firewall too.
        using (System.Text.Json.JsonDocument inspect = System.Text.Json.JsonDocument.Parse(Ok("network", "inspect", name)))
        {
            lock (_keepers) _keepers.Add("skk" + inspect.RootElement[0].GetProperty("Id").GetString()![..12]);
            foreach (System.Text.Json.JsonElement config in inspect.RootElement[0].GetProperty("IPAM").GetProperty("Config").EnumerateArray())
                lock (_subnets) _subnets.Add(config.GetProperty("Subnet").GetString()!);
        }
        return (name, subnet);
    }

    public int Leases()
    {
        using EngineDatabase database = new(Path.Combine(Engine.Root, "engine.db"));
        return database.CountLeases();
    }

    /// <summary>Links the backend made for this run's networks (their bridges) and veths left in them.</summary>
    public List<string> BridgesOfThisRun()
    {
        SkiffResult listed = Run("network", "ls", "--format", "{{.ID}}", "--no-trunc");
        List<string> bridges = [];
        foreach (string id in listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string link = Ok("network", "inspect", "-f", "{{.NetworkInterface}}", id).Trim();
            if (Directory.Exists($"/sys/class/net/{link}/bridge")) bridges.Add(link);
        }
        return bridges;
    }

    /// <summary>The rules of iptables and ip6tables (all tables) as their save commands print them, counters dropped.</summary>
    public static string Firewall() =>
        string.Join('\n', ((string[])["iptables-save", "ip6tables-save"]).SelectMany(tool =>
            Host(tool).Split('\n').Where(l => !l.StartsWith('#')).Select(l => l.StartsWith(':') ? l[..(l.IndexOf(' ') is int s and > 0 ? s : l.Length)] : l)));

    /// <summary>Rules that name one of this run's subnets or bridges.</summary>
    public List<string> RulesOfThisRun(IEnumerable<string> bridges)
    {
        string[] marks = [.. _subnets, .. bridges];
        return [.. Firewall().Split('\n').Where(l => marks.Any(m => l.Contains(m, StringComparison.Ordinal)))];
    }

    /// <summary>The bridge's ports that are containers' veths: the keeper link the netavark backend adds to a user network's bridge is not one.</summary>
    public static List<string> ContainerPorts(string bridge)
    {
        string brif = $"/sys/class/net/{bridge}/brif";
        return Directory.Exists(brif) ? [.. Directory.EnumerateFileSystemEntries(brif).Select(Path.GetFileName).OfType<string>().Where(p => !p.StartsWith("skk", StringComparison.Ordinal))] : [];
    }

    /// <summary>Rules of this run that name one of these containers: its address as a host, or its id (CNI's chains and comments).</summary>
    public List<string> ContainerRules(string bridge, IEnumerable<string> addresses, IEnumerable<string> ids)
    {
        string[] marks = [.. addresses.SelectMany(a => (string[])[$"{a}/32", $"{a}:"]), .. ids.Select(i => i[..12])];
        return [.. Firewall().Split('\n').Where(l => marks.Any(m => l.Contains(m, StringComparison.Ordinal)))];
    }

    /// <summary>aardvark-dns's records of this root (netavark backend: a line per container and network, naming its id); "" elsewhere.</summary>
    public string DnsRecords()
    {
        string directory = Path.Combine(Engine.Root, "netavark", "aardvark-dns");
        return Directory.Exists(directory) ? string.Concat(Directory.GetFiles(directory, "skiff-*").Select(File.ReadAllText)) : "";
    }

    /// <summary>A network's bridge and the link that keeps it (netavark backend: <c>skk</c> + the network's short id).</summary>
    public (string Bridge, string Keeper) LinksOf(string network) =>
        (Ok("network", "inspect", "-f", "{{.NetworkInterface}}", network).Trim(), "skk" + Ok("network", "inspect", "-f", "{{.Id}}", network).Trim()[..12]);

    /// <summary>After <c>network rm</c>: the network's bridge, its keeper and every rule naming its subnet or bridge are gone.</summary>
    public void AssertNetworkGone((string Bridge, string Keeper) links, string subnet)
    {
        Assert.False(Directory.Exists($"/sys/class/net/{links.Bridge}"), $"bridge {links.Bridge} left after network rm");
        Assert.False(Directory.Exists($"/sys/class/net/{links.Keeper}"), $"link {links.Keeper} left after network rm");
        Assert.DoesNotContain(RulesOfThisRun([links.Bridge]), r => r.Contains(subnet, StringComparison.Ordinal) || r.Contains(links.Bridge, StringComparison.Ordinal));
    }

    public static string Host(string program, params string[] args)
    {
        ProcessStartInfo start = new(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: exit {process.ExitCode}: {error.Result}");
        return output;
    }

    public static (int Exit, string Out) TryHost(string program, params string[] args)
    {
        ProcessStartInfo start = new(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    public void Dispose()
    {
        List<string> leaks = [];
        List<string> bridges = [];
        try
        {
            foreach (string id in Run("ps", "-aq", "--no-trunc").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                leaks.Add($"container left behind: {id}");
                Run("rm", "-f", id);
            }
            bridges = BridgesOfThisRun();
            foreach (string name in _networksMade)
                if (Run("network", "inspect", name).Exit == 0)
                {
                    leaks.Add($"network left behind: {name}");
                    Run("network", "rm", name);
                }
            if (Leases() is int leases and > 0) leaks.Add($"{leases} address leases left behind");
            foreach (string file in NetnsFiles()) leaks.Add($"netns file left behind: {file}");
            foreach (string bridge in bridges)
                if (Directory.Exists($"/sys/class/net/{bridge}")) leaks.Add($"bridge left behind: {bridge}");
            foreach (string keeper in _keepers)
                if (Directory.Exists($"/sys/class/net/{keeper}")) leaks.Add($"bridge keeper left behind: {keeper}");
            foreach (string rule in RulesOfThisRun(bridges)) leaks.Add($"firewall rule left behind: {rule}");
            RemoveBaseChainsMadeByThisRun();
        }
        finally
        {
            Engine.Dispose();
        }
        if (leaks.Count > 0) throw new InvalidOperationException($"network suite ({Backend}) left state behind:\n" + string.Join('\n', leaks));
    }

    /// <summary>netavark keeps its top chains for good; the run removes them when it made them and they hold nothing of anyone's.</summary>
    private void RemoveBaseChainsMadeByThisRun()
    {
        if (_firewallBefore.Contains("NETAVARK", StringComparison.Ordinal)) return;
        string now = Firewall();
        if (now.Split('\n').Any(l => l.StartsWith("-A NETAVARK", StringComparison.Ordinal) && !l.Contains("MARK", StringComparison.Ordinal) && !l.Contains("MASQUERADE", StringComparison.Ordinal))) return;
        foreach (string tool in (string[])["iptables", "ip6tables"])
        {
            TryHost(tool, "-t", "filter", "-D", "FORWARD", "-m", "comment", "--comment", "netavark firewall plugin rules", "-j", "NETAVARK_FORWARD");
            foreach (string chain in (string[])["NETAVARK_ISOLATION_1", "NETAVARK_ISOLATION_2"])
            {
                TryHost(tool, "-t", "filter", "-D", "FORWARD", "-j", chain);
                TryHost(tool, "-t", "filter", "-F", chain);
                TryHost(tool, "-t", "filter", "-X", chain);
            }
            TryHost(tool, "-t", "filter", "-X", "NETAVARK_FORWARD");
            TryHost(tool, "-t", "nat", "-D", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "NETAVARK-HOSTPORT-DNAT");
            TryHost(tool, "-t", "nat", "-D", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "NETAVARK-HOSTPORT-DNAT");
            TryHost(tool, "-t", "nat", "-D", "POSTROUTING", "-j", "NETAVARK-HOSTPORT-MASQ");
            foreach (string chain in (string[])["NETAVARK-HOSTPORT-DNAT", "NETAVARK-HOSTPORT-MASQ", "NETAVARK-HOSTPORT-SETMARK"])
            {
                TryHost(tool, "-t", "nat", "-F", chain);
                TryHost(tool, "-t", "nat", "-X", chain);
            }
        }
    }
}

public sealed class NetavarkSuite() : NetworkSuite("netavark");
