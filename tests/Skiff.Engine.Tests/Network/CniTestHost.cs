using System.Diagnostics;
using Skiff.Engine.Config;
using Skiff.Engine.Network;
using Skiff.Engine.Network.Cni;

namespace Skiff.Engine.Tests.Network;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CniCollection
{
    // Plugins change the host's links and firewall: one test at a time, so a leak is this test's.
    public const string Name = "cni";
}

/// <summary>
/// A private engine root with the cni backend over Debian's plugins, network namespaces and
/// networks named after a per-test token, and a leak check on dispose: no link, netns, iptables
/// rule or cached result that names the token may remain.
/// </summary>
internal sealed class CniTestHost : IDisposable
{
    private static readonly string[] SharedChains = ["CNI-FORWARD", "CNI-ADMIN", "CNI-ISOLATION-STAGE-1", "CNI-ISOLATION-STAGE-2", "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ"];
    private readonly List<string> _namespaces = [];
    private readonly List<string> _bridges = [];
    private readonly List<string> _addresses = [];
    private readonly HashSet<string> _chainsBefore;
    private readonly HashSet<string> _masqueradeChainBefore = MasqueradeChain.Tools();

    public string Token { get; } = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];
    public string RunDir { get; }
    public EngineLayout Layout { get; }
    public EngineConfig Config { get; } = new();
    public CniBackend Backend { get; }

    public CniTestHost(IEnumerable<string>? extraPluginDirs = null)
    {
        if (Environment.UserName != "root" && Sh("id", "-u").Trim() != "0") throw new InvalidOperationException("the CNI tests change the host's network and must run as root");
        RunDir = Path.Combine(Path.GetTempPath(), $"skiff-cni-{Token}");
        Directory.CreateDirectory(RunDir);
        Layout = new EngineLayout(Path.Combine(RunDir, "root"));
        Layout.EnsureCreated();
        if (extraPluginDirs is not null) Config.CniPluginDirs = [.. extraPluginDirs, .. Config.CniPluginDirs];
        Backend = new CniBackend(Config, Layout);
        _chainsBefore = ExistingSharedChains();
    }

    public string ContainerId(string suffix) => $"{Token}{suffix}".PadRight(64, '0');

    /// <summary>A new network namespace, as the engine makes one: a path that names it.</summary>
    public string NewNetns()
    {
        string name = $"skiff-cnit-{Token}-{_namespaces.Count}";
        Must("ip", "netns", "add", name);
        _namespaces.Add(name);
        return "/run/netns/" + name;
    }

    public void DeleteNetns(string path) => Must("ip", "netns", "delete", Path.GetFileName(path));

    /// <summary>A bridge network on a free private /24, its bridge named after the token.</summary>
    public NetworkDefinition Network(string name, bool isInternal = false, Dictionary<string, string>? options = null)
    {
        string bridge = $"skc{Token}{_bridges.Count}";
        _bridges.Add(bridge);
        string prefix = FreeSubnetPrefix();
        return new NetworkDefinition(
            Token + name, $"{name}-{Token}", "bridge", bridge,
            [new SubnetDefinition(prefix + ".0/24", prefix + ".1", null)],
            isInternal, false, false, options ?? [], new Dictionary<string, string>(), DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// A macvlan or ipvlan network whose parent is one end of a veth pair made for the test (the
    /// other end stays on the host with no address: it gives the parent a carrier), so no frame
    /// leaves the machine.
    /// </summary>
    public NetworkDefinition VlanNetwork(string name, string driver)
    {
        string parent = $"skd{Token}{_bridges.Count}";
        _bridges.Add(parent);
        Must("ip", "link", "add", parent, "type", "veth", "peer", "name", parent + "p");
        Must("ip", "link", "set", parent + "p", "up");
        Must("ip", "link", "set", parent, "up");
        string prefix = FreeSubnetPrefix();
        return new NetworkDefinition(
            Token + name, $"{name}-{Token}", driver, parent,
            [new SubnetDefinition(prefix + ".0/24", prefix + ".1", null)],
            false, false, false, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.UtcNow);
    }

    /// <summary>A bridge network with an IPv4 and a unique-local IPv6 subnet.</summary>
    public NetworkDefinition DualStackNetwork(string name)
    {
        NetworkDefinition v4 = Network(name);
        // Canonical text (no leading zeros), as the plugins print addresses back.
        string v6 = System.Net.IPNetwork.Parse($"fd{Token[..2]}:{Token[2..6]}:{Token[6..8]}00::/64").BaseAddress.ToString();
        return v4 with { Ipv6 = true, Subnets = [.. v4.Subnets, new SubnetDefinition(v6 + "/64", v6 + "1", null)] };
    }

    public static string AddressIn(NetworkDefinition network, int host) => network.Subnets[0].Subnet.Replace(".0/24", $".{host}/24");

    public NetworkAttachment Attach(NetworkDefinition network, string ifName, string address, string? mac = null)
    {
        _addresses.Add(address);
        return new(network, ifName, [address], mac, []);
    }

    public string InNetns(string netns, params string[] command) => Sh(["ip", "netns", "exec", Path.GetFileName(netns), .. command]);

    /// <summary>Everything on the host that names this test's token.</summary>
    public List<string> Leftovers()
    {
        List<string> left = [];
        left.AddRange(Sh("ip", "-o", "link", "show").Split('\n').Where(l => l.Contains(Token)).Select(l => "link: " + l));
        left.AddRange(Sh("ip", "netns", "list").Split('\n').Where(l => l.Contains(Token)).Select(l => "netns: " + l));
        foreach (string tool in (string[])["iptables-save", "ip6tables-save"])
            left.AddRange(Sh(tool).Split('\n').Where(l => l.Contains(Token)).Select(l => tool + ": " + l));
        foreach (string address in _addresses) left.AddRange(RulesFor(address).Select(l => "iptables-save: " + l));
        // tuning keeps what it changed (the MAC) under /run/cni/tuning until the DEL puts it back.
        if (Directory.Exists("/run/cni/tuning"))
            left.AddRange(Directory.EnumerateFiles("/run/cni/tuning").Where(f => f.Contains(Token)).Select(f => "tuning state: " + f));
        string results = Path.Combine(Layout.CniDirectory, "results");
        if (Directory.Exists(results)) left.AddRange(Directory.EnumerateFiles(results).Select(f => "cached result: " + f));
        return left;
    }

    /// <summary>Rules of this test's containers in the shared CNI chains (they name the container's address, not the token).</summary>
    public static List<string> RulesFor(string address)
    {
        string ip = address.Split('/')[0];
        return Sh("iptables-save").Split('\n').Where(l => l.Contains(ip + "/32") || l.Contains(ip + ":")).ToList();
    }

    /// <summary>
    /// Removes whatever the test made, whether it passed or not; each test asserts
    /// <see cref="Leftovers"/> is empty before this runs, so a throw here would only hide its failure.
    /// </summary>
    public void Dispose()
    {
        foreach (string name in _namespaces) Sh("ip", "netns", "delete", name);
        foreach (string bridge in _bridges) Sh("ip", "link", "delete", bridge);
        // The plugins' shared chains (firewall's CNI-FORWARD/CNI-ADMIN, portmap's CNI-HOSTPORT-*)
        // outlive every container, as under Podman: the test removes the ones it caused.
        RemoveSharedChainsCreatedSince(_chainsBefore);
        foreach (string tool in (string[])["iptables", "ip6tables"])
        {
            foreach (string line in Sh(tool, "-t", "nat", "-S").Split('\n').Where(l => l.StartsWith("-A ", StringComparison.Ordinal) && l.Contains(Token)))
                Sh([tool, "-t", "nat", "-D", .. MasqueradeLeftovers.Split(line).Skip(1)]);
            foreach (string line in Sh(tool, "-t", "nat", "-S").Split('\n').Where(l => l.StartsWith("-N CNI-", StringComparison.Ordinal)))
                if (Sh(tool, "-t", "nat", "-S", line[3..].Trim()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1 && !SharedChains.Contains(line[3..].Trim()))
                    Sh(tool, "-t", "nat", "-X", line[3..].Trim());
        }
        // After the test's own rules are gone: a leaked one would keep the chain from being empty.
        MasqueradeChain.RemoveWhenMadeSinceAndEmpty(_masqueradeChainBefore);
        try { Directory.Delete(RunDir, recursive: true); } catch (IOException) { }
    }

    private static HashSet<string> ExistingSharedChains()
    {
        HashSet<string> chains = [];
        foreach (string tool in (string[])["iptables", "ip6tables"])
            foreach (string table in (string[])["filter", "nat"])
                foreach (string line in Sh(tool, "-t", table, "-S").Split('\n'))
                    if (line.StartsWith("-N ", StringComparison.Ordinal) && SharedChains.Contains(line[3..].Trim())) chains.Add($"{tool}/{table}/{line[3..].Trim()}");
        return chains;
    }

    private static void RemoveSharedChainsCreatedSince(HashSet<string> before)
    {
        List<string[]> made = [.. ExistingSharedChains().Except(before).Select(e => e.Split('/'))];
        foreach (string[] entry in made)
        {
            (string tool, string table, string chain) = (entry[0], entry[1], entry[2]);
            foreach (string line in Sh(tool, "-t", table, "-S").Split('\n'))
            {
                List<string> words = MasqueradeLeftovers.Split(line);
                int jump = words.IndexOf("-j");
                if (words.Count > 2 && words[0] == "-A" && jump > 0 && jump + 1 < words.Count && words[jump + 1] == chain)
                    Sh([tool, "-t", table, "-D", .. words.Skip(1)]);
            }
            Sh(tool, "-t", table, "-F", chain);
        }
        foreach (string[] entry in made) Sh(entry[0], "-t", entry[1], "-X", entry[2]);
    }

    /// <summary>A 10.x.y prefix with no route on the host, so the test network collides with nothing.</summary>
    private static string FreeSubnetPrefix()
    {
        string routes = Sh("ip", "-4", "route", "show", "table", "all");
        while (true)
        {
            string prefix = $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(1, 255)}";
            if (!routes.Contains(prefix + ".")) return prefix;
        }
    }

    public static string Must(params string[] command)
    {
        (int exit, string output, string errors) = Exec(command);
        if (exit != 0) throw new InvalidOperationException($"{string.Join(' ', command)}: exit {exit}: {errors}");
        return output;
    }

    public static string Sh(params string[] command) => Exec(command).Output;

    public static (int Exit, string Output, string Errors) Exec(params string[] command)
    {
        ProcessStartInfo start = new(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in command.Skip(1)) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, errors.Result);
    }
}

/// <summary>
/// skiff's own nat chain for the cni backend's masquerade rules (one per network), which stays once
/// made, as the plugins' shared chains do: a test run removes it, with its POSTROUTING jump, when
/// the run made it and no network's rule is left in it.
/// </summary>
internal static class MasqueradeChain
{
    /// <summary>The tools (iptables, ip6tables) whose nat table has the chain now.</summary>
    public static HashSet<string> Tools() =>
        [.. ((string[])["iptables", "ip6tables"]).Where(t => CniTestHost.Exec(t, "-t", "nat", "-S", NetworkMasquerade.Chain).Exit == 0)];

    public static void RemoveWhenMadeSinceAndEmpty(HashSet<string> before)
    {
        // Under the engine's host lock: a skiff of another root adding its network's rule between
        // the emptiness check and the removal would otherwise lose its jump.
        using Skiff.Images.Fs.FileLock host = NetworkMasquerade.LockHost();
        foreach (string tool in Tools().Except(before))
        {
            if (CniTestHost.Sh(tool, "-t", "nat", "-S", NetworkMasquerade.Chain).Split('\n').Any(l => l.StartsWith("-A ", StringComparison.Ordinal))) continue;
            CniTestHost.Exec(tool, "-t", "nat", "-D", "POSTROUTING", "-j", NetworkMasquerade.Chain);
            CniTestHost.Exec(tool, "-t", "nat", "-X", NetworkMasquerade.Chain);
        }
    }
}
