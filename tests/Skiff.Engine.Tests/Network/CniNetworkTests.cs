using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests.Network;

/// <summary>
/// The network behaviours on the cni backend (Debian's containernetworking-plugins), and what only
/// it has: the stored configuration lists, the cached results, a plugin's own error at the CLI.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class CniNetworkTests(CniSuite suite) : NetworkBehaviour(suite), IClassFixture<CniSuite>
{
    [Fact]
    public void Bridges_accept_no_router_advertisements_and_results_are_cached_only_while_attached()
    {
        (string network, _) = Suite.CreateNetwork();
        string id = Suite.Ok("run", "-d", "--network", network, "busybox", "sleep", "1000").Trim();
        string cached = Path.Combine(Suite.Engine.Root, "cni", "results", $"{network}-{id}-eth0.json");
        try
        {
            string bridge = Suite.Ok("network", "inspect", "-f", "{{.NetworkInterface}}", network).Trim();
            Assert.Equal("0", File.ReadAllText($"/proc/sys/net/ipv6/conf/{bridge}/accept_ra").Trim());
            Assert.True(File.Exists(Path.Combine(Suite.Engine.Root, "cni", "networks", network + ".conflist")));
            Assert.True(File.Exists(cached), $"no cached ADD result at {cached}");
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
        }
        Assert.False(File.Exists(cached));
        Suite.Ok("network", "rm", network);
        Assert.False(File.Exists(Path.Combine(Suite.Engine.Root, "cni", "networks", network + ".conflist")));
    }

    [Fact]
    public void Each_routed_network_masquerades_with_one_rule_of_its_own_kept_with_its_bridge()
    {
        (string first, string firstSubnet) = Suite.CreateNetwork();
        (string second, string secondSubnet) = Suite.CreateNetwork();
        (string inside, string insideSubnet) = Suite.CreateNetwork("--internal");
        string firstBridge = Suite.LinksOf(first).Bridge, secondBridge = Suite.LinksOf(second).Bridge;
        string id = Suite.Ok("run", "-d", "--network", first, "busybox", "sleep", "1000").Trim();
        try
        {
            Suite.Ok("run", "--rm", "--network", second, "busybox", "true");
            Suite.Ok("run", "--rm", "--network", inside, "busybox", "true");
            Assert.Equal([$"-A SKIFF-MASQUERADE -s {firstSubnet} ! -o {firstBridge}"], MasqueradeRules(firstSubnet));
            // The rule outlives the network's last container, as its bridge does.
            Assert.Equal([$"-A SKIFF-MASQUERADE -s {secondSubnet} ! -o {secondBridge}"], MasqueradeRules(secondSubnet));
            Assert.Empty(MasqueradeRules(insideSubnet));
            Assert.Contains("-A POSTROUTING -j SKIFF-MASQUERADE", NetworkSuite.Host("iptables", "-t", "nat", "-S", "POSTROUTING").Split('\n'));
            // The bridge plugin masquerades per container no more: no nat chain of the container's own.
            Assert.NotEqual(0, NetworkSuite.TryHost("iptables", "-t", "nat", "-S", Skiff.Engine.Network.Cni.MasqueradeLeftovers.ChainName(first, id)).Exit);
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
        }
        Assert.Single(MasqueradeRules(firstSubnet));
        Suite.Ok("network", "rm", first, second, inside);
        Assert.Empty(MasqueradeRules(firstSubnet));
        Assert.Empty(MasqueradeRules(secondSubnet));
    }

    [Fact]
    public void A_failed_teardown_keeps_the_address_and_port_reserved_until_it_is_done_again()
    {
        // The host's plugins, portmap's DEL refused while the flag file exists.
        string plugins = Path.Combine(Suite.Engine.RunDir, "plugins-" + Guid.NewGuid().ToString("N")[..8]);
        string flag = Path.Combine(plugins, "refuse-del");
        Directory.CreateDirectory(plugins);
        foreach (string plugin in Directory.GetFiles("/usr/lib/cni"))
        {
            string wrapper = Path.Combine(plugins, Path.GetFileName(plugin));
            File.WriteAllText(wrapper, Path.GetFileName(plugin) == "portmap"
                ? $"#!/bin/sh\nif [ \"$CNI_COMMAND\" = DEL ] && [ -e {flag} ]; then echo '{{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"DEL refused by the test\"}}'; exit 1; fi\nexec {plugin}\n"
                : $"#!/bin/sh\nexec {plugin}\n");
            File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);
        }
        using CniSuite suite = new($"\"cni_plugin_dirs\": [\"{plugins}\"]");
        (string network, _) = suite.CreateNetwork();
        int port = FreePort();
        string id = suite.Ok("run", "-d", "--network", network, "-p", $"127.0.0.1:{port}:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        Assert.Equal(id[..12] + "\n", HostFetch($"http://127.0.0.1:{port}/hostname"));
        File.WriteAllText(flag, "");
        SkiffResult removed = suite.Run("rm", "-f", id);
        Assert.Equal(0, removed.Exit);
        Assert.Contains("DEL refused by the test", removed.Error);
        Assert.Contains("stay reserved", removed.Error);
        Assert.Empty(suite.NetnsFiles());
        // The positive control: the refused DEL left the port's rule. Meanwhile neither the
        // address nor the port is handed out again.
        Assert.Contains(NetworkSuite.Firewall().Split('\n'), l => l.Contains($"--dport {port} "));
        Assert.Equal(1, suite.Leases());
        SkiffResult taken = suite.Run("run", "-d", "--network", network, "-p", $"127.0.0.1:{port}:80", "busybox", "true");
        Assert.NotEqual(0, taken.Exit);
        Assert.Contains("port is already allocated", taken.Error);
        foreach (string created in suite.Ok("ps", "-aq").Split('\n', StringSplitOptions.RemoveEmptyEntries)) suite.Ok("rm", "-f", created);
        // Once DEL works again, the next start finishes the teardown.
        File.Delete(flag);
        suite.Ok("run", "--rm", "--network", network, "busybox", "true");
        Assert.DoesNotContain(NetworkSuite.Firewall().Split('\n'), l => l.Contains($"--dport {port} "));
        Assert.Equal(0, suite.Leases());
        suite.Ok("network", "rm", network);
    }

    [Fact]
    public void A_jump_to_the_masquerade_chain_removed_from_outside_is_put_back_by_the_next_run()
    {
        (string network, _) = Suite.CreateNetwork();
        const string jump = "-A POSTROUTING -j SKIFF-MASQUERADE";
        Suite.Ok("run", "--rm", "--network", network, "busybox", "true");
        Assert.Contains(jump, PostRouting());
        // What a firewall script's `iptables -t nat -F POSTROUTING` does to it; the bridge keeps its mark.
        using (Skiff.Engine.Network.Cni.NetworkMasquerade.LockHost())
            NetworkSuite.Host("iptables", "-t", "nat", "-D", "POSTROUTING", "-j", "SKIFF-MASQUERADE");
        Assert.DoesNotContain(jump, PostRouting());
        Suite.Ok("run", "--rm", "--network", network, "busybox", "true");
        Assert.Contains(jump, PostRouting());
        Suite.Ok("network", "rm", network);
    }

    private static string[] PostRouting() => NetworkSuite.Host("iptables", "-t", "nat", "-S", "POSTROUTING").Split('\n');

    /// <summary>The nat rules that name the subnet as a source, cut after the output link.</summary>
    private static List<string> MasqueradeRules(string subnet) =>
        [.. NetworkSuite.Firewall().Split('\n').Where(l => l.Contains($"-s {subnet} ", StringComparison.Ordinal))
            .Select(l => string.Join(' ', l.Split(' ').TakeWhile(w => w != "-m" && w != "-j")))];

    [Fact]
    public void A_failed_setup_leaves_a_bridge_the_host_had()
    {
        string bridge = "sku" + Guid.NewGuid().ToString("N")[..8];
        string subnet = Suite.FreeSubnet(), prefix = subnet[..subnet.LastIndexOf('.')];
        string network = Name("hostbr");
        NetworkSuite.Host("ip", "link", "add", bridge, "type", "bridge");
        try
        {
            // An address that is not the network's gateway: the bridge plugin refuses the bridge.
            NetworkSuite.Host("ip", "addr", "add", $"{prefix}.254/24", "dev", bridge);
            Suite.Ok("network", "create", "-o", $"com.docker.network.bridge.name={bridge}", "--subnet", subnet, network);
            SkiffResult run = Suite.Run("run", "--rm", "--network", network, "busybox", "true");
            Assert.NotEqual(0, run.Exit);
            Assert.Contains("already has an IP address different from", run.Error);
            Assert.True(Directory.Exists($"/sys/class/net/{bridge}/bridge"), $"the failed setup deleted the host's bridge {bridge}");
            Assert.Contains($"inet {prefix}.254/24", NetworkSuite.Host("ip", "-o", "addr", "show", "dev", bridge));
            Suite.Ok("network", "rm", network);
            Assert.True(Directory.Exists($"/sys/class/net/{bridge}/bridge"), $"network rm deleted the host's bridge {bridge}");
        }
        finally
        {
            Suite.Run("network", "rm", network);
            NetworkSuite.TryHost("ip", "link", "delete", bridge);
        }
    }

    [Fact]
    public void A_plugins_error_reaches_the_user_with_the_plugins_name_and_nothing_is_left()
    {
        // A bridge name already taken by a link that is not a bridge: the bridge plugin refuses it.
        string taken = "skt" + Guid.NewGuid().ToString("N")[..8];
        NetworkSuite.Host("ip", "link", "add", taken, "type", "veth", "peer", "name", taken + "p");
        try
        {
            (string network, _) = Suite.CreateNetwork("-o", $"com.docker.network.bridge.name={taken}");
            int leases = Suite.Leases();
            SkiffResult run = Suite.Run("run", "--rm", "--network", network, "busybox", "true");
            Assert.NotEqual(0, run.Exit);
            Assert.Contains($"CNI plugin \"bridge\" failed on ADD for network \"{network}\"", run.Error);
            Assert.Contains(taken, run.Error);
            Assert.Equal(leases, Suite.Leases());
            Assert.Empty(Directory.Exists(Path.Combine(Suite.Engine.Root, "cni", "results")) ? Directory.GetFiles(Path.Combine(Suite.Engine.Root, "cni", "results")) : []);
            Suite.Ok("network", "rm", network);
        }
        finally
        {
            NetworkSuite.TryHost("ip", "link", "delete", taken);
        }
    }
}

/// <summary>
/// The cni backend's suite. The plugins' shared chains (firewall's CNI-FORWARD, CNI-ADMIN and
/// CNI-ISOLATION-STAGE-*, portmap's CNI-HOSTPORT-*) and skiff's SKIFF-MASQUERADE stay on the host after their last
/// container, as under Podman; the run removes them at the end when it made them and they hold nothing of anyone's.
/// </summary>
public sealed class CniSuite : NetworkSuite, IDisposable
{
    private static readonly (string Table, string Chain)[] SharedChains =
        [("filter", "CNI-FORWARD"), ("filter", "CNI-ADMIN"), ("filter", "CNI-ISOLATION-STAGE-1"), ("filter", "CNI-ISOLATION-STAGE-2"),
         ("nat", "CNI-HOSTPORT-DNAT"), ("nat", "CNI-HOSTPORT-SETMARK"), ("nat", "CNI-HOSTPORT-MASQ")];
    private readonly List<(string Table, string Chain)> _before;
    private readonly HashSet<string> _masqueradeChainBefore = MasqueradeChain.Tools();

    public CniSuite() : this(null) { }

    /// <param name="extraConfig">More members of the engine config, as JSON (a test's own plugin directory).</param>
    internal CniSuite(string? extraConfig) : base("cni", extraConfig) => _before = [.. SharedChains.Where(c => Exists(c.Table, c.Chain))];

    void IDisposable.Dispose()
    {
        try
        {
            Dispose();
        }
        finally
        {
            RemoveSharedChainsMadeByThisRun();
            MasqueradeChain.RemoveWhenMadeSinceAndEmpty(_masqueradeChainBefore);
        }
    }

    private void RemoveSharedChainsMadeByThisRun()
    {
        List<(string Table, string Chain)> made = [.. SharedChains.Where(c => !_before.Contains(c) && Exists(c.Table, c.Chain))];
        // A per-container rule in one of them (a jump to a CNI-DN-… or an address) means someone uses them.
        bool used = made.Any(c => Host("iptables", "-t", c.Table, "-S", c.Chain).Split('\n')
            .Any(l => l.StartsWith("-A ", StringComparison.Ordinal) && (l.Contains("CNI-DN-", StringComparison.Ordinal) || l.Contains("/32", StringComparison.Ordinal))));
        if (used) return;
        foreach ((string table, string chain) in made)
        {
            foreach (string line in Host("iptables", "-t", table, "-S").Split('\n'))
            {
                List<string> words = Skiff.Engine.Network.Cni.MasqueradeLeftovers.Split(line);
                int jump = words.IndexOf("-j");
                if (words.Count > 2 && words[0] == "-A" && jump > 0 && jump + 1 < words.Count && words[jump + 1] == chain)
                    TryHost("iptables", ["-t", table, "-D", .. words.Skip(1)]);
            }
            TryHost("iptables", "-t", table, "-F", chain);
        }
        foreach ((string table, string chain) in made) TryHost("iptables", "-t", table, "-X", chain);
    }

    private static bool Exists(string table, string chain) => TryHost("iptables", "-t", table, "-S", chain).Exit == 0;
}
