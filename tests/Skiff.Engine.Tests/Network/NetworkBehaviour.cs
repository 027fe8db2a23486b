using System.Text.Json;
using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests.Network;

/// <summary>
/// What a user observes of container networking, whatever the backend: each derived class names
/// one (its suite writes a private engine config with that network_backend) and every behaviour
/// here must hold on it. Traffic goes only to containers, to 127.0.0.1 and to network namespaces
/// the tests make themselves.
/// </summary>
public abstract class NetworkBehaviour(NetworkSuite suite)
{
    protected NetworkSuite Suite { get; } = suite;

    /// <summary>One wget that gives up after 3 seconds. The trailing exit keeps sh from exec-ing the last command: wget must not be the namespace's init, which ignores timeout's signal.</summary>
    private const string Once = "timeout 3 wget -q -O- \"$1\"; exit $?";

    /// <summary>wget retried while the server comes up: a detached run returns before httpd listens.</summary>
    private const string Fetch = "for i in $(seq 1 50); do timeout 3 wget -q -O- \"$1\" && exit 0; sleep 0.2; done; exit 1";

    [Fact]
    public void Containers_on_one_network_talk_by_name_and_alias_over_tcp_and_udp()
    {
        (string network, _) = Suite.CreateNetwork();
        string server = Name("srv");
        string web = Suite.Ok("run", "-d", "--name", server, "--network", network, "--network-alias", "web", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        // An echo server: every connection's bytes come back to its client.
        string sink = Suite.Ok("run", "-d", "--network", network, "--network-alias", "sink", "busybox", "nc", "-ll", "-p", "5000", "-e", "cat").Trim();
        try
        {
            // The server, started first, learned of the container that came later: its /etc/hosts names the sink.
            Assert.Contains("sink", Suite.Ok("exec", server, "cat", "/etc/hosts"));
            string hostname = web[..12] + "\n";
            Assert.Equal(hostname, Suite.Ok("run", "--rm", "--network", network, "busybox", "sh", "-c", Fetch, "sh", $"http://{server}/hostname"));
            Assert.Equal(hostname, Suite.Ok("run", "--rm", "--network", network, "busybox", "sh", "-c", Fetch, "sh", "http://web/hostname"));
            Assert.Equal(hostname, Suite.Ok("run", "--rm", "--network", network, "busybox", "sh", "-c", Fetch, "sh", $"http://{web[..12]}/hostname"));

            // TCP through nc: the client gets back what it sent (retried while the server comes up).
            Assert.Equal("over-tcp\n", Suite.Ok("run", "--rm", "--network", network, "busybox", "sh", "-c",
                "for i in $(seq 1 50); do out=$(echo over-tcp | nc sink 5000) && [ \"$out\" = over-tcp ] && echo \"$out\" && exit 0; sleep 0.2; done; exit 1"));

            // UDP: traceroute's probes are UDP datagrams to a closed port; the peer's answer names it.
            string udpserver = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.IPAddress}}}}", server).Trim();
            string trace = Suite.Ok("run", "--rm", "--network", network, "busybox", "traceroute", "-n", "-q", "1", "-w", "2", "-m", "1", "-p", "5353", "web");
            Assert.Contains($"({udpserver})", trace);
            Assert.Contains($" 1  {udpserver}", trace);

            // A container that leaves takes its name out of its peers' /etc/hosts.
            Suite.Ok("rm", "-f", sink);
            Assert.DoesNotContain("sink", Suite.Ok("exec", server, "cat", "/etc/hosts"));
        }
        finally
        {
            Suite.Run("rm", "-f", web, sink);
            Suite.Ok("network", "rm", network);
        }
    }

    [Fact]
    public void Containers_on_different_networks_cannot_reach_each_other_by_name_or_address()
    {
        (string first, _) = Suite.CreateNetwork();
        (string second, _) = Suite.CreateNetwork();
        string server = Name("srv");
        string id = Suite.Ok("run", "-d", "--name", server, "--network", first, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        string? neighbour = null;
        try
        {
            string address = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{first}.IPAddress}}}}", id).Trim();
            // The second network's own control: its containers reach each other with the same
            // command, so the refusal below is the isolation's and not a broken network's.
            neighbour = Suite.Ok("run", "-d", "--network", second, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
            string neighbourAddress = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{second}.IPAddress}}}}", neighbour).Trim();
            Assert.Equal(neighbour[..12] + "\n", Suite.Ok("run", "--rm", "--network", second, "busybox", "sh", "-c", Fetch, "sh", $"http://{neighbourAddress}/hostname"));
            Assert.Equal(id[..12] + "\n", Suite.Ok("run", "--rm", "--network", first, "busybox", "sh", "-c", Fetch, "sh", $"http://{address}/hostname"));
            // The positive control: the very command that must fail from the other network answers from this one.
            Assert.Equal(id[..12] + "\n", Suite.Ok("run", "--rm", "--network", first, "busybox", "sh", "-c", Once, "sh", $"http://{address}/hostname"));
            // --dns on the container's own loopback: a name the network does not know must not be asked of the host's resolvers.
            SkiffResult byName = Suite.Run("run", "--rm", "--network", second, "--dns", "127.0.0.1", "busybox", "sh", "-c", Once, "sh", $"http://{server}/hostname");
            Assert.NotEqual(0, byName.Exit);
            Assert.Contains("bad address", byName.Error);
            SkiffResult byAddress = Suite.Run("run", "--rm", "--network", second, "busybox", "sh", "-c", Once, "sh", $"http://{address}/hostname");
            // Dropped, not refused or unroutable: nothing answers, and timeout ends wget with SIGTERM (128 + 15).
            Assert.Equal(143, byAddress.Exit);
            Assert.Equal("", byAddress.Out);
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
            if (neighbour is not null) Suite.Ok("rm", "-f", neighbour);
            Suite.Ok("network", "rm", first, second);
        }
    }

    [Fact]
    public void A_published_port_answers_on_loopback_and_from_another_host_but_only_where_asked()
    {
        int everywhere = FreePort(), loopbackOnly = FreePort();
        string id = Suite.Ok("run", "-d", "-p", $"{everywhere}:80", "-p", $"127.0.0.1:{loopbackOnly}:80/tcp", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        using OtherHost other = new();
        try
        {
            string expected = id[..12] + "\n";
            Assert.Equal(expected, HostFetch($"http://127.0.0.1:{everywhere}/hostname"));
            Assert.Equal(expected, HostFetch($"http://127.0.0.1:{loopbackOnly}/hostname"));
            Assert.Equal(expected, other.Fetch($"http://{other.HostAddress}:{everywhere}/hostname", attempts: 50));
            Assert.Null(other.Fetch($"http://{other.HostAddress}:{loopbackOnly}/hostname", attempts: 1));
            Assert.Equal($"80/tcp -> 0.0.0.0:{everywhere}\n80/tcp -> 127.0.0.1:{loopbackOnly}\n", Suite.Ok("port", id));
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
        }
        Assert.Null(HostFetch($"http://127.0.0.1:{everywhere}/hostname", attempts: 1));
    }

    [Fact]
    public void Publish_all_picks_free_ports_that_port_reports()
    {
        string id = Suite.Ok("run", "-d", "-P", "--expose", "80", "--expose", "9000-9001/udp", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        try
        {
            string bound = Suite.Ok("port", id, "80").Trim();
            Assert.StartsWith("0.0.0.0:", bound);
            int port = int.Parse(bound[8..]);
            Assert.Equal(id[..12] + "\n", HostFetch($"http://127.0.0.1:{port}/hostname"));
            string all = Suite.Ok("port", id);
            Assert.Contains("9000/udp -> 0.0.0.0:", all);
            Assert.Contains("9001/udp -> 0.0.0.0:", all);
            using JsonDocument ports = JsonDocument.Parse(Suite.Ok("inspect", "-f", "{{json .NetworkSettings.Ports}}", id));
            Assert.Equal(port.ToString(), ports.RootElement.GetProperty("80/tcp")[0].GetProperty("HostPort").GetString());
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
        }
    }

    [Fact]
    public void None_has_only_lo_host_has_the_hosts_links_and_container_mode_shares_a_stack()
    {
        Assert.Equal("lo\n", Suite.Ok("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"));
        string hostLinks = string.Join('\n', Directory.EnumerateFileSystemEntries("/sys/class/net").Select(Path.GetFileName).Order()) + "\n";
        Assert.Contains("eth0", Suite.Ok("run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net"));
        Assert.Contains("eth0\n", hostLinks);

        string id = Suite.Ok("run", "-d", "busybox", "httpd", "-f", "-p", "8080", "-h", "/etc").Trim();
        try
        {
            // The joiner reaches the first container's server on its own loopback, and has its address.
            Assert.Equal(id[..12] + "\n", Suite.Ok("run", "--rm", "--network", $"container:{id[..12]}", "busybox", "sh", "-c", Fetch, "sh", "http://127.0.0.1:8080/hostname"));
            Assert.Equal(Suite.Ok("exec", id, "ip", "-4", "-o", "addr", "show", "eth0").Split(' ', StringSplitOptions.RemoveEmptyEntries)[3],
                Suite.Ok("run", "--rm", "--network", $"container:{id}", "busybox", "ip", "-4", "-o", "addr", "show", "eth0").Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]);
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
        }
    }

    [Fact]
    public void Network_connect_adds_an_interface_to_a_running_container_and_the_name_resolves()
    {
        (string first, _) = Suite.CreateNetwork();
        (string second, _) = Suite.CreateNetwork();
        string server = Name("srv");
        string srv = Suite.Ok("run", "-d", "--name", server, "--network", second, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        string client = Suite.Ok("run", "-d", "--network", first, "busybox", "sleep", "1000").Trim();
        try
        {
            Assert.Equal("eth0\nlo\n", Suite.Ok("exec", client, "ls", "/sys/class/net"));
            Assert.NotEqual(0, Suite.Run("exec", client, "sh", "-c", Once, "sh", $"http://{server}/hostname").Exit);
            Suite.Ok("network", "connect", "--alias", "late", second, client);
            Assert.Equal("eth0\neth1\nlo\n", Suite.Ok("exec", client, "ls", "/sys/class/net"));
            Assert.Equal(srv[..12] + "\n", Suite.Ok("exec", client, "sh", "-c", Fetch, "sh", $"http://{server}/hostname"));
            // The peers learn the new member's alias too.
            Assert.Contains("late", Suite.Ok("exec", srv, "cat", "/etc/hosts"));
            Assert.Contains(second, Suite.Ok("inspect", "-f", "{{json .NetworkSettings.Networks}}", client));

            Suite.Ok("network", "disconnect", second, client);
            Assert.Equal("eth0\nlo\n", Suite.Ok("exec", client, "ls", "/sys/class/net"));
            Assert.DoesNotContain("late", Suite.Ok("exec", srv, "cat", "/etc/hosts"));
        }
        finally
        {
            Suite.Ok("rm", "-f", srv, client);
            Suite.Ok("network", "rm", first, second);
        }
    }

    [Fact]
    public void Network_connect_of_a_stopped_container_refuses_an_address_the_network_cannot_give()
    {
        (string first, _) = Suite.CreateNetwork();
        (string second, string subnet) = Suite.CreateNetwork();
        string id = Suite.Ok("create", "--network", first, "busybox", "true").Trim();
        try
        {
            SkiffResult refused = Suite.Run("network", "connect", "--ip", "192.0.2.9", second, id);
            Assert.NotEqual(0, refused.Exit);
            Assert.Contains($"network {second}: address 192.0.2.9 is not in subnet {subnet}", refused.Error);
            Assert.DoesNotContain(second, Suite.Ok("inspect", "-f", "{{json .NetworkSettings.Networks}}", id));
            // The positive control: an address of the subnet is taken, and the container starts with it.
            string address = subnet[..subnet.LastIndexOf('.')] + ".9";
            Suite.Ok("network", "connect", "--ip", address, second, id);
            Suite.Ok("start", id);
            Assert.Equal("0\n", Suite.Ok("wait", id));
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
            Suite.Ok("network", "rm", first, second);
        }
    }

    [Fact]
    public void Disconnecting_the_network_that_carries_the_ports_unpublishes_them()
    {
        (string first, _) = Suite.CreateNetwork();
        (string second, _) = Suite.CreateNetwork();
        int port = FreePort();
        string id = Suite.Ok("run", "-d", "--network", first, "-p", $"127.0.0.1:{port}:80", "busybox", "sleep", "1000").Trim();
        string other = "";
        try
        {
            Suite.Ok("network", "connect", second, id);
            Assert.Equal($"80/tcp -> 127.0.0.1:{port}\n", Suite.Ok("port", id));
            Suite.Ok("network", "disconnect", first, id);
            Assert.Equal("", Suite.Ok("port", id));
            // The port is free again for another container.
            other = Suite.Ok("run", "-d", "--network", second, "-p", $"127.0.0.1:{port}:80", "busybox", "sleep", "1000").Trim();
            Assert.Equal($"80/tcp -> 127.0.0.1:{port}\n", Suite.Ok("port", other));
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
            if (other.Length > 0) Suite.Ok("rm", "-f", other);
            Suite.Ok("network", "rm", first, second);
        }
    }

    [Fact]
    public void Fifty_containers_started_and_removed_in_parallel_leave_no_lease_rule_or_veth()
    {
        (string network, string subnet) = Suite.CreateNetwork();
        (string bridge, string keeper) = Suite.LinksOf(network);
        string[] ids = new string[50];
        string[] addresses = [];
        // A published port each: both backends then make rules of the container's own (DNAT to its
        // address), which must all be gone after; without one, netavark makes none to look for.
        try
        {
            Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
                ids[i] = Suite.Ok("run", "-d", "--network", network, "-p", "127.0.0.1::80", "busybox", "sleep", "1000").Trim());
            addresses = [.. ids.Select(id => Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.IPAddress}}}}", id).Trim())];
            Assert.Equal(ids.Length, addresses.Distinct().Count());
            // The positive control: every container has rules of its own while it runs, and a DNS record where the backend keeps them.
            for (int i = 0; i < ids.Length; i++) Assert.NotEmpty(Suite.ContainerRules(bridge, [addresses[i]], [ids[i]]));
            if (Suite.Backend == "netavark") Assert.All(ids, id => Assert.Contains(id, Suite.DnsRecords()));
            Assert.All(addresses, a => Assert.StartsWith(subnet[..subnet.LastIndexOf('.')], a));
            Assert.Equal(ids.Length, Suite.Leases());
            Assert.Equal(ids.Length, NetworkSuite.ContainerPorts(bridge).Count);
        }
        finally
        {
            Parallel.ForEach(ids.Where(id => id is not null), new ParallelOptions { MaxDegreeOfParallelism = 8 }, id => Suite.Ok("rm", "-f", id));
        }
        Assert.Equal(0, Suite.Leases());
        Assert.Empty(NetworkSuite.ContainerPorts(bridge));
        Assert.Empty(Suite.ContainerRules(bridge, addresses, ids));
        string records = Suite.DnsRecords();
        Assert.DoesNotContain(ids, id => records.Contains(id, StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Suite.Engine.Root, "netns")));
        Suite.Ok("network", "rm", network);
        Suite.AssertNetworkGone((bridge, keeper), subnet);
    }

    [Fact]
    public void A_port_a_host_process_listens_on_is_not_taken_from_it()
    {
        (string network, _) = Suite.CreateNetwork();
        using System.Net.Sockets.TcpListener service = new(System.Net.IPAddress.Loopback, 0);
        service.Start();
        int port = ((System.Net.IPEndPoint)service.LocalEndpoint).Port;
        SkiffResult refused = Suite.Run("run", "-d", "--network", network, "-p", $"127.0.0.1:{port}:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains($"Bind for 127.0.0.1:{port} failed: address already in use", refused.Error);
        Assert.Equal(0, Suite.Leases());
        // The host's service still answers its clients: no rule of the refused container took its traffic.
        using (System.Net.Sockets.TcpClient client = new())
        {
            client.Connect(System.Net.IPAddress.Loopback, port);
            using System.Net.Sockets.Socket accepted = service.AcceptSocket();
            Assert.True(accepted.Connected);
        }
        // The positive control: once the service is gone, the same container publishes the port.
        service.Stop();
        string id = Suite.Ok("run", "-d", "--network", network, "-p", $"127.0.0.1:{port}:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        try
        {
            Assert.Equal(id[..12] + "\n", HostFetch($"http://127.0.0.1:{port}/hostname"));
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
            foreach (string created in Suite.Ok("ps", "-aq").Split('\n', StringSplitOptions.RemoveEmptyEntries)) Suite.Ok("rm", "-f", created);
            Suite.Ok("network", "rm", network);
        }
    }

    [Fact]
    public void Ports_left_to_the_engine_are_never_given_twice_though_the_kernel_offers_one_again()
    {
        // Two local ports: a bind to port 0 gets the odd one first, and the even one while the odd is bound.
        using PortRangeNamespace ns = new(40000);
        (string network, _) = Suite.CreateNetwork();
        string[] run = ["run", "-d", "--network", network, "-p", "127.0.0.1::80", "busybox", "sleep", "1000"];
        try
        {
            string first = ns.Ok(Suite, "port", ns.Ok(Suite, run).Trim()).Trim();
            // The positive control: no socket holds the first container's port, so the kernel offers it again.
            Assert.Equal($"80/tcp -> 127.0.0.1:{ns.KernelOffer()}", first);
            string second = ns.Ok(Suite, "port", ns.Ok(Suite, run).Trim()).Trim();
            Assert.Equal(["80/tcp -> 127.0.0.1:40000", "80/tcp -> 127.0.0.1:40001"], ((string[])[first, second]).Order());
            SkiffResult third = ns.Run(Suite, run);
            Assert.NotEqual(0, third.Exit);
            Assert.Contains("no free tcp port on 127.0.0.1: the kernel's local port range is used up", third.Error);
            Assert.Equal(2, Suite.Leases());
        }
        finally
        {
            foreach (string id in Suite.Ok("ps", "-aq").Split('\n', StringSplitOptions.RemoveEmptyEntries)) ns.Ok(Suite, "rm", "-f", id);
            ns.Ok(Suite, "network", "rm", network);
        }
        Assert.Equal(0, Suite.Leases());
    }

    [Fact]
    public void A_user_networks_bridge_stays_between_containers_until_network_rm()
    {
        (string network, string subnet) = Suite.CreateNetwork();
        (string bridge, string keeper) = Suite.LinksOf(network);
        Suite.Ok("run", "--rm", "--network", network, "busybox", "true");
        // The bridge and the network's rules are there for the next container, which is wired as the first was.
        Assert.True(Directory.Exists($"/sys/class/net/{bridge}/bridge"));
        if (Suite.Backend == "netavark") Assert.True(Directory.Exists($"/sys/class/net/{bridge}/brif/{keeper}"));
        Assert.Empty(NetworkSuite.ContainerPorts(bridge));
        Assert.Contains(Suite.RulesOfThisRun([bridge]), r => r.Contains(subnet) || r.Contains(bridge));
        string prefix = subnet[..subnet.LastIndexOf('.')];
        Assert.Contains($"inet {prefix}.2/24", Suite.Ok("run", "--rm", "--network", network, "busybox", "ip", "-o", "addr", "show", "eth0"));
        Suite.Ok("network", "rm", network);
        Suite.AssertNetworkGone((bridge, keeper), subnet);
    }

    [Fact]
    public void Teardown_runs_when_the_containers_process_is_killed_from_outside()
    {
        (string network, string subnet) = Suite.CreateNetwork();
        int port = FreePort();
        string id = Suite.Ok("run", "-d", "--network", network, "-p", $"127.0.0.1:{port}:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        (string bridge, string keeper) = Suite.LinksOf(network);
        string netns = Suite.Ok("inspect", "-f", "{{.NetworkSettings.SandboxKey}}", id).Trim();
        string address = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.IPAddress}}}}", id).Trim();
        try
        {
            Assert.True(File.Exists(netns));
            Assert.Contains(Suite.RulesOfThisRun([bridge]), r => r.Contains($"--dport {port}"));
            int pid = int.Parse(Suite.Ok("inspect", "-f", "{{.State.Pid}}", id).Trim());
            NetworkSuite.Host("kill", "-9", pid.ToString());
            // conmon's exit command (skiff container cleanup) runs the teardown by itself.
            for (int i = 0; i < 200 && (File.Exists(netns) || Suite.Leases() > 0); i++) Thread.Sleep(50);
            Assert.False(File.Exists(netns));
            Assert.Equal(0, Suite.Leases());
            Assert.Empty(Suite.ContainerRules(bridge, [address], [id]));
            Assert.DoesNotContain(Suite.RulesOfThisRun([bridge]), r => r.Contains($"--dport {port}"));
            Assert.Empty(NetworkSuite.ContainerPorts(bridge));
            Assert.Equal("exited", Suite.Ok("inspect", "-f", "{{.State.Status}}", id).Trim());
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
            Suite.Ok("network", "rm", network);
        }
        Suite.AssertNetworkGone((bridge, keeper), subnet);
    }

    [Fact]
    public void A_container_whose_monitor_died_is_torn_down_by_the_next_verb()
    {
        (string network, string subnet) = Suite.CreateNetwork();
        // A published port, so that both backends make rules of the container's own to look for.
        string id = Suite.Ok("run", "-d", "--network", network, "-p", "127.0.0.1::80", "busybox", "sleep", "1000").Trim();
        (string bridge, string keeper) = Suite.LinksOf(network);
        string netns = Suite.Ok("inspect", "-f", "{{.NetworkSettings.SandboxKey}}", id).Trim();
        string address = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.IPAddress}}}}", id).Trim();
        Assert.NotEmpty(Suite.ContainerRules(bridge, [address], [id]));
        if (Suite.Backend == "netavark") Assert.Contains(id, Suite.DnsRecords());
        int pid = int.Parse(Suite.Ok("inspect", "-f", "{{.State.Pid}}", id).Trim());
        int conmon = int.Parse(File.ReadAllText(Path.Combine(Suite.Engine.Root, "containers", id, "conmon.pid")).Trim());
        // The monitor first, so that no exit command runs: nothing but the next verb is left to clean up.
        NetworkSuite.Host("kill", "-9", conmon.ToString());
        NetworkSuite.Host("kill", "-9", pid.ToString());
        for (int i = 0; i < 100 && ContainerEngine.Alive(pid); i++) Thread.Sleep(50);
        Assert.True(File.Exists(netns));
        Assert.Equal(1, Suite.Leases());
        Suite.Ok("rm", id);
        Assert.False(File.Exists(netns));
        Assert.Equal(0, Suite.Leases());
        Assert.Empty(Suite.ContainerRules(bridge, [address], [id]));
        Assert.DoesNotContain(id, Suite.DnsRecords());
        Assert.Empty(NetworkSuite.ContainerPorts(bridge));
        Suite.Ok("network", "rm", network);
        Suite.AssertNetworkGone((bridge, keeper), subnet);
    }

    [Fact]
    public void An_ipv6_network_gives_each_container_a_unique_local_address_peers_reach()
    {
        (string network, _) = Suite.CreateNetwork("--ipv6");
        string id = Suite.Ok("run", "-d", "--network", network, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        try
        {
            string address = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.GlobalIPv6Address}}}}", id).Trim();
            Assert.StartsWith("fd", address);
            Assert.Equal(id[..12] + "\n", Suite.Ok("run", "--rm", "--network", network, "busybox", "sh", "-c", Fetch, "sh", $"http://[{address}]/hostname"));
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
            Suite.Ok("network", "rm", network);
        }
    }

    [Fact]
    public void Static_addresses_dns_flags_and_extra_hosts_reach_the_container()
    {
        (string network, string subnet) = Suite.CreateNetwork();
        string prefix = subnet[..subnet.LastIndexOf('.')];
        string output = Suite.Ok("run", "--rm", "--network", network, "--ip", $"{prefix}.77", "--mac-address", "92:d0:c6:0a:29:33",
            "--dns", "10.1.2.3", "--dns-search", "example.test", "--dns-option", "ndots:2", "--add-host", "db.test:10.9.8.7", "--add-host", "gw.test:host-gateway",
            "--hostname", "named", "busybox", "sh", "-c", "ip -o addr show eth0; ip -o link show eth0; cat /etc/resolv.conf /etc/hosts; hostname");
        Assert.Contains($"inet {prefix}.77/24", output);
        Assert.Contains("92:d0:c6:0a:29:33", output);
        Assert.Contains("nameserver 10.1.2.3", output);
        Assert.Contains("search example.test", output);
        Assert.Contains("options ndots:2", output);
        Assert.Contains("10.9.8.7\tdb.test", output);
        Assert.Contains($"{prefix}.1\tgw.test", output);
        Assert.Contains($"{prefix}.77\tnamed", output);
        Assert.EndsWith("named\n", output);

        string holder = Suite.Ok("run", "-d", "--network", network, "--ip", $"{prefix}.78", "busybox", "sleep", "1000").Trim();
        try
        {
            SkiffResult taken = Suite.Run("run", "--rm", "--network", network, "--ip", $"{prefix}.78", "busybox", "true");
            Assert.NotEqual(0, taken.Exit);
            Assert.Contains($"{prefix}.78 is already in use", taken.Error);
        }
        finally
        {
            Suite.Ok("rm", "-f", holder);
            Suite.Ok("network", "rm", network);
        }
        Assert.Equal(0, Suite.Leases());
    }

    [Fact]
    public void Network_verbs_create_list_inspect_refuse_and_remove()
    {
        Assert.Contains("bridge", Suite.Ok("network", "ls", "--format", "{{.Name}}").Split('\n'));
        (string network, string subnet) = Suite.CreateNetwork("-l", "team=blue", "--internal");
        using JsonDocument inspect = JsonDocument.Parse(Suite.Ok("network", "inspect", network));
        JsonElement only = inspect.RootElement[0];
        Assert.Equal(network, only.GetProperty("Name").GetString());
        Assert.Equal(subnet, only.GetProperty("IPAM").GetProperty("Config")[0].GetProperty("Subnet").GetString());
        Assert.True(only.GetProperty("Internal").GetBoolean());
        Assert.Equal("blue", only.GetProperty("Labels").GetProperty("team").GetString());
        Assert.Equal(network + "\n", Suite.Ok("network", "ls", "--filter", "label=team=blue", "--format", "{{.Name}}"));
        Assert.Equal(only.GetProperty("Id").GetString()![..12] + "\n", Suite.Ok("network", "ls", "-q", "--filter", $"name=^{network}$"));

        SkiffResult again = Suite.Run("network", "create", network);
        Assert.Equal(1, again.Exit);
        Assert.Contains("already exists", again.Error);
        SkiffResult overlap = Suite.Run("network", "create", "--subnet", subnet, network + "x");
        Assert.Equal(1, overlap.Exit);
        Assert.Contains("overlaps", overlap.Error);
        SkiffResult bad = Suite.Run("network", "create", "--subnet", "10.0.0.1/8", network + "y");
        Assert.Contains("host bits", bad.Error);
        SkiffResult unknown = Suite.Run("run", "--rm", "--network", "no-such-network", "busybox", "true");
        // Docker's daemon error: exit 125, not the 127 of a command that is not found.
        Assert.Equal(125, unknown.Exit);
        Assert.Contains("network no-such-network not found", unknown.Error);
        Assert.Contains("pre-defined", Suite.Run("network", "rm", "bridge").Error);

        string user = Suite.Ok("create", "--network", network, "busybox", "true").Trim();
        SkiffResult busy = Suite.Run("network", "rm", network);
        Assert.Equal(1, busy.Exit);
        Assert.Contains("active endpoints", busy.Error);
        Suite.Ok("rm", user);
        Assert.Contains(network, Suite.Ok("network", "prune", "-f", "--filter", "label=team=blue"));
        Assert.NotEqual(0, Suite.Run("network", "inspect", network).Exit);
    }

    [Fact]
    public void An_internal_network_is_cut_off_from_other_hosts()
    {
        (string network, _) = Suite.CreateNetwork("--internal");
        using OtherHost other = new();
        int port = FreePort();
        other.Serve(port);
        // The same request from the default network gets through, so the refusal is the network's doing.
        Assert.Contains("hello", Suite.Ok("run", "--rm", "busybox", "sh", "-c", Fetch, "sh", $"http://{other.Address}:{port}/"));
        SkiffResult cut = Suite.Run("run", "--rm", "--network", network, "busybox", "sh", "-c", Once, "sh", $"http://{other.Address}:{port}/");
        Assert.NotEqual(0, cut.Exit);
        Suite.Ok("network", "rm", network);
    }

    [Fact]
    public void Outbound_traffic_reaches_another_host_from_the_hosts_address_on_every_network()
    {
        (string first, string firstSubnet) = Suite.CreateNetwork();
        (string second, string secondSubnet) = Suite.CreateNetwork();
        (string, string) firstLinks = Suite.LinksOf(first), secondLinks = Suite.LinksOf(second);
        using OtherHost other = new();
        int port = FreePort();
        other.ServeRemoteAddress(port);
        string url = $"http://{other.Address}:{port}/cgi-bin/from";
        // The other host routes the containers' subnets back through this host, so without
        // masquerade the request would still arrive, from the container's own address.
        Assert.Equal(other.HostAddress + "\n", Suite.Ok("run", "--rm", "--network", first, "busybox", "sh", "-c", Fetch, "sh", url));
        Assert.Equal(other.HostAddress + "\n", Suite.Ok("run", "--rm", "--network", second, "busybox", "sh", "-c", Fetch, "sh", url));
        // A second container on a network whose bridge stayed leaves the same way.
        Assert.Equal(other.HostAddress + "\n", Suite.Ok("run", "--rm", "--network", first, "busybox", "sh", "-c", Fetch, "sh", url));
        // So does one on the default network, whose bridge and rules go with its last container.
        Assert.Equal(other.HostAddress + "\n", Suite.Ok("run", "--rm", "busybox", "sh", "-c", Fetch, "sh", url));
        using JsonDocument inspect = JsonDocument.Parse(Suite.Ok("network", "inspect", "bridge"));
        string defaultSubnet = inspect.RootElement[0].GetProperty("IPAM").GetProperty("Config")[0].GetProperty("Subnet").GetString()!;
        Assert.DoesNotContain(NetworkSuite.Firewall().Split('\n'), r => r.Contains(defaultSubnet + " ", StringComparison.Ordinal));
        Suite.Ok("network", "rm", first, second);
        Suite.AssertNetworkGone(firstLinks, firstSubnet);
        Suite.AssertNetworkGone(secondLinks, secondSubnet);
    }

    [Fact]
    public void Containers_on_a_macvlan_network_reach_each_other_by_address_and_by_name()
    {
        using ParentLink parent = new();
        ContainersOnAVlanNetworkReachEachOther(parent, "macvlan");
    }

    [Fact]
    public void Containers_on_an_ipvlan_network_reach_each_other_or_the_network_is_refused_with_the_reason()
    {
        using ParentLink parent = new();
        if (Suite.Backend == "cni" && KernelHas("ipvlan"))
        {
            ContainersOnAVlanNetworkReachEachOther(parent, "ipvlan");
            return;
        }
        // netavark 1.4 has no ipvlan driver; a kernel without one cannot make the links.
        SkiffResult refused = Suite.Run("network", "create", "--driver", "ipvlan", "-o", $"parent={parent.Name}", "--subnet", Suite.FreeSubnet(), Name("ipv"));
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains(Suite.Backend == "cni" ? "this kernel has no ipvlan driver" : "netavark 1.4 has no ipvlan driver", refused.Error);
    }

    private void ContainersOnAVlanNetworkReachEachOther(ParentLink parent, string driver)
    {
        (string network, string subnet) = Suite.CreateNetwork("--driver", driver, "-o", $"parent={parent.Name}");
        string server = Name("srv");
        string id = Suite.Ok("run", "-d", "--name", server, "--network", network, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        try
        {
            string address = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.IPAddress}}}}", id).Trim();
            Assert.StartsWith(subnet[..subnet.LastIndexOf('.')], address);
            // The container's eth0 hangs from the parent: its link is the parent's index.
            Assert.Equal(File.ReadAllText($"/sys/class/net/{parent.Name}/ifindex"), Suite.Ok("exec", id, "cat", "/sys/class/net/eth0/iflink"));
            Assert.Equal(id[..12] + "\n", Suite.Ok("run", "--rm", "--network", network, "busybox", "sh", "-c", Fetch, "sh", $"http://{address}/hostname"));
            Assert.Equal(id[..12] + "\n", Suite.Ok("run", "--rm", "--network", network, "busybox", "sh", "-c", Fetch, "sh", $"http://{server}/hostname"));
            // The child links live in the containers' namespaces (the host's sysfs lists no upper
            // link across namespaces): what the host keeps of them is the engine's netns files.
            Assert.NotEmpty(Suite.NetnsFiles());
        }
        finally
        {
            Suite.Ok("rm", "-f", id);
        }
        Assert.Empty(Suite.NetnsFiles());
        Suite.Ok("network", "rm", network);
        Assert.Equal(0, Suite.Leases());
    }

    /// <summary>Whether the kernel knows the link kind: without a parent it refuses the link either way, but for a different reason.</summary>
    private static bool KernelHas(string kind) =>
        !NetworkSuite.TryHost("ip", "link", "add", "name", "skprobe" + Environment.ProcessId % 100000, "type", kind).Out.Contains("Unknown device type", StringComparison.Ordinal);

    [Fact]
    public void A_renamed_container_is_found_by_its_peers_under_its_new_name_only()
    {
        (string network, _) = Suite.CreateNetwork();
        string before = Name("before"), after = Name("after");
        string id = Suite.Ok("run", "-d", "--name", before, "--network", network, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").Trim();
        string peer = Suite.Ok("run", "-d", "--network", network, "busybox", "sleep", "1000").Trim();
        try
        {
            // The positive control: the old name reaches it before the rename.
            Assert.Equal(id[..12] + "\n", Suite.Ok("exec", peer, "sh", "-c", Fetch, "sh", $"http://{before}/hostname"));
            Suite.Ok("rename", before, after);
            string hosts = Suite.Ok("exec", peer, "cat", "/etc/hosts");
            Assert.Contains(after, hosts);
            Assert.DoesNotContain(before, hosts);
            Assert.Equal(id[..12] + "\n", Suite.Ok("exec", peer, "sh", "-c", Fetch, "sh", $"http://{after}/hostname"));
            // busybox resolves through /etc/hosts alone: the old name is unknown now, and no query leaves.
            SkiffResult old = Suite.Run("exec", peer, "sh", "-c", Once, "sh", $"http://{before}/hostname");
            Assert.NotEqual(0, old.Exit);
            Assert.Contains("bad address", old.Error);
            if (Suite.Backend == "netavark")
            {
                string gateway = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.Gateway}}}}", id).Trim();
                string address = Suite.Ok("inspect", "-f", $"{{{{.NetworkSettings.Networks.{network}.IPAddress}}}}", id).Trim();
                // aardvark-dns rereads its names on a signal: asked until it answers with the new one.
                Assert.Contains(address, Suite.Ok("exec", peer, "sh", "-c",
                    $"for i in $(seq 1 50); do nslookup {after} {gateway} && exit 0; sleep 0.2; done; exit 1"));
                // Asking aardvark-dns for the old name would be forwarded to the host's resolvers: its records are read instead.
                string records = Suite.DnsRecords();
                Assert.Contains(after, records);
                Assert.DoesNotContain(before, records);
            }
        }
        finally
        {
            Suite.Ok("rm", "-f", id, peer);
            Suite.Ok("network", "rm", network);
        }
    }

    [Fact]
    public void Network_rm_leaves_a_bridge_the_host_had_and_removes_only_the_networks_rules()
    {
        string bridge = "sku" + Guid.NewGuid().ToString("N")[..8];
        string subnet = Suite.FreeSubnet(), prefix = subnet[..subnet.LastIndexOf('.')];
        string network = Name("hostbr");
        NetworkSuite.Host("ip", "link", "add", bridge, "type", "bridge");
        try
        {
            NetworkSuite.Host("ip", "addr", "add", $"{prefix}.1/24", "dev", bridge);
            NetworkSuite.Host("ip", "link", "set", bridge, "up");
            // A network no container used: nothing was made for it, and nothing of the host's goes.
            Suite.Ok("network", "create", "-o", $"com.docker.network.bridge.name={bridge}", "--subnet", subnet, network);
            Suite.Ok("network", "rm", network);
            Assert.True(Directory.Exists($"/sys/class/net/{bridge}/bridge"), $"network rm deleted the host's bridge {bridge}");
            Suite.Ok("network", "create", "-o", $"com.docker.network.bridge.name={bridge}", "--subnet", subnet, network);
            string keeper = "skk" + Suite.Ok("network", "inspect", "-f", "{{.Id}}", network).Trim()[..12];
            // The positive control: the network is wired on the host's bridge and has rules of its own.
            Assert.Contains($"inet {prefix}.2/24", Suite.Ok("run", "--rm", "--network", network, "busybox", "ip", "-o", "addr", "show", "eth0"));
            Assert.Contains(NetworkSuite.Firewall().Split('\n'), r => r.Contains(subnet, StringComparison.Ordinal) || r.Contains(bridge, StringComparison.Ordinal));
            Suite.Ok("network", "rm", network);
            Assert.True(Directory.Exists($"/sys/class/net/{bridge}/bridge"), $"network rm deleted the host's bridge {bridge}");
            Assert.Contains($"inet {prefix}.1/24", NetworkSuite.Host("ip", "-o", "addr", "show", "dev", bridge));
            Assert.Empty(NetworkSuite.ContainerPorts(bridge));
            Assert.DoesNotContain(NetworkSuite.Firewall().Split('\n'), r => r.Contains(subnet, StringComparison.Ordinal) || r.Contains(bridge, StringComparison.Ordinal));
            Assert.Equal("", File.ReadAllText($"/sys/class/net/{bridge}/ifalias").Trim());
            Assert.False(Directory.Exists($"/sys/class/net/{keeper}"), $"link {keeper} left after network rm");
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries("/sys/class/net").Select(Path.GetFileName), l => l!.StartsWith("skr", StringComparison.Ordinal));
        }
        finally
        {
            Suite.Run("network", "rm", network);
            NetworkSuite.TryHost("ip", "link", "delete", bridge);
        }
    }

    [Theory]
    [InlineData("create")]
    [InlineData("connect")]
    public async Task A_network_rm_racing_a_create_or_connect_either_refuses_or_the_other_fails(string verb)
    {
        (string network, _) = Suite.CreateNetwork();
        // The network's bridge is made, so that network rm has work to do under the backend's lock.
        Suite.Ok("run", "--rm", "--network", network, "busybox", "true");
        // connect's container is on the default network (never wired: it does not run).
        string? container = verb == "connect" ? Suite.Ok("create", "busybox", "true").Trim() : null;
        string lockFile = Path.Combine(Suite.Engine.Root, Suite.Backend == "cni" ? "cni/cni.lock" : "netavark/netavark.lock");
        string inode = NetworkSuite.Host("stat", "-c", "%i", lockFile).Trim();
        Task<SkiffResult> removing, joining;
        using (Skiff.Images.Fs.FileLock.Exclusive(lockFile))
        {
            removing = Task.Run(() => Suite.Run("network", "rm", network));
            // The race's window held open: the rm has looked for the network's users and waits on the backend's lock.
            bool blocked = false;
            for (int i = 0; i < 200 && !blocked; i++)
            {
                blocked = File.ReadLines("/proc/locks").Any(l => l.Contains("->", StringComparison.Ordinal) && l.Contains($":{inode} ", StringComparison.Ordinal));
                if (!blocked) Thread.Sleep(50);
            }
            Assert.True(blocked, "network rm never waited on the backend's lock");
            joining = Task.Run(() => container is null
                ? Suite.Run("create", "--network", network, "busybox", "true")
                : Suite.Run("network", "connect", network, container));
            // Time for a create or connect that does not wait for the rm to finish.
            await Task.WhenAny(joining, Task.Delay(TimeSpan.FromSeconds(5)));
        }
        SkiffResult removed = await removing, joined = await joining;
        container ??= joined.Exit == 0 ? joined.Out.Trim() : null;
        try
        {
            if (joined.Exit == 0)
            {
                Assert.True(removed.Exit != 0, $"network rm removed the network a container joined meanwhile: {removed}");
                Assert.Contains("active endpoints", removed.Error);
            }
            else
            {
                Assert.Equal(0, removed.Exit);
                Assert.Contains($"network {network} not found", joined.Error);
                Assert.Equal(container is null ? "" : container[..12] + "\n", Suite.Ok("ps", "-aq"));
            }
            // Either way whatever container there is can start.
            if (container is not null) Suite.Ok("start", container);
        }
        finally
        {
            if (container is not null) Suite.Run("rm", "-f", container);
            Suite.Run("network", "rm", network);
        }
    }

    [Fact]
    public void Network_disconnect_frees_a_container_whose_network_is_gone()
    {
        (string gone, _) = Suite.CreateNetwork();
        (string kept, _) = Suite.CreateNetwork();
        string goneId = Suite.Ok("network", "inspect", "-f", "{{.Id}}", gone).Trim();
        string id = Suite.Ok("create", "--network", gone, "busybox", "true").Trim();
        try
        {
            Suite.Ok("network", "connect", kept, id);
            // What a network rm that raced the container's create left behind (older builds): the
            // container asks for a network that no longer exists. It never ran, so nothing of it is on the host.
            using (Skiff.Engine.Store.EngineDatabase database = new(Path.Combine(Suite.Engine.Root, "engine.db"))) database.DeleteNetwork(goneId);
            SkiffResult start = Suite.Run("start", id);
            Assert.NotEqual(0, start.Exit);
            Assert.Contains($"one of its networks ({goneId[..12]}) was removed; disconnect it first", start.Error);
            Suite.Ok("network", "disconnect", goneId[..12], id);
            Suite.Ok("start", id);
            Assert.DoesNotContain(goneId, Suite.Ok("inspect", "-f", "{{json .NetworkSettings.Networks}}", id));
        }
        finally
        {
            Suite.Run("rm", "-f", id);
            Suite.Ok("network", "rm", kept);
        }
    }

    protected static string Name(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A TCP port nothing listens on now.</summary>
    protected static int FreePort()
    {
        using System.Net.Sockets.TcpListener listener = new(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>GET from the host, no proxy; null when nothing answers after the given attempts.</summary>
    protected static string? HostFetch(string url, int attempts = 50)
    {
        using HttpClient client = new(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(3) };
        for (int i = 0; i < attempts; i++)
        {
            try
            {
                return client.GetStringAsync(url).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                if (i + 1 < attempts) Thread.Sleep(200);
            }
        }
        return null;
    }
}
