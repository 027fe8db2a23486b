using System.Diagnostics;
using System.Text.Json.Nodes;
using Skiff.Engine.Network;
using Skiff.Engine.Network.Cni;

namespace Skiff.Engine.Tests.Network;

/// <summary>
/// The CNI backend and client against Debian's real plugins, into network namespaces the tests make:
/// what ADD wires, what DEL removes (with the netns alive, gone, and twice), the spec's rules for
/// chains and cached results, CHECK, and plugin errors as the user sees them.
/// </summary>
[Collection(CniCollection.Name)]
public sealed class CniClientTests
{
    [Fact]
    public void Setup_wires_the_container_and_teardown_leaves_nothing()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.Network("wire");
        string netns = host.NewNetns();
        string address = CniTestHost.AddressIn(network, 5), ip = address.Split('/')[0], gateway = network.Subnets[0].Gateway;
        NetworkSetup setup = new(host.ContainerId("a"), "wire", netns, [host.Attach(network, "eth0", address, "02:42:0a:c8:00:05")], []);

        NetworkStatus status = host.Backend.Setup(setup);

        AttachedInterface eth0 = Assert.Single(status.Interfaces);
        Assert.Equal([address], eth0.Addresses);
        Assert.Equal([gateway], eth0.Gateways);
        Assert.Empty(status.DnsServers);
        Assert.Equal("02:42:0a:c8:00:05", host.InNetns(netns, "cat", "/sys/class/net/eth0/address").Trim());
        Assert.Equal("02:42:0a:c8:00:05", eth0.MacAddress);
        Assert.Contains($"inet {address}", host.InNetns(netns, "ip", "-4", "-o", "addr", "show", "dev", "eth0"));
        Assert.Contains($"default via {gateway}", host.InNetns(netns, "ip", "-4", "route"));
        Assert.Contains($"{gateway}/24", CniTestHost.Sh("ip", "-4", "-o", "addr", "show", "dev", network.InterfaceName));
        Assert.Equal("0", File.ReadAllText($"/proc/sys/net/ipv6/conf/{network.InterfaceName}/accept_ra").Trim());
        // Outbound NAT is the network's one rule, not a chain of the container's own.
        Assert.Contains(CniTestHost.Sh("iptables", "-t", "nat", "-S", NetworkMasquerade.Chain).Split('\n'),
            l => l.StartsWith($"-A {NetworkMasquerade.Chain} -s {network.Subnets[0].Subnet} ! -o {network.InterfaceName} ", StringComparison.Ordinal));
        Assert.DoesNotContain(CniTestHost.Sh("iptables", "-t", "nat", "-S", "POSTROUTING").Split('\n'), l => l.Contains($"-s {ip}/32"));
        // lo is up with its address, as the loopback plugin would leave it.
        Assert.Contains("inet 127.0.0.1/8", host.InNetns(netns, "ip", "-4", "-o", "addr", "show", "dev", "lo"));
        Assert.Contains(",UP", host.InNetns(netns, "ip", "-o", "link", "show", "dev", "lo"));
        Assert.True(File.Exists(host.Backend.ListPath(network.Name)));
        Assert.Equal(0, CniTestHost.Exec("busybox", "ping", "-c", "1", "-W", "5", ip).Exit);

        host.Backend.Teardown(setup);
        Assert.Equal("lo", host.InNetns(netns, "ls", "/sys/class/net").Trim());
        host.Backend.Teardown(setup);
        host.Backend.Remove(network);
        Assert.False(File.Exists(host.Backend.ListPath(network.Name)));
        host.DeleteNetns(netns);
        Assert.Empty(host.Leftovers());
    }

    [Fact]
    public void Teardown_works_with_the_netns_gone_and_twice()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.Network("gone");
        string netns = host.NewNetns();
        string address = CniTestHost.AddressIn(network, 7);
        NetworkSetup setup = new(host.ContainerId("b"), "gone", netns, [host.Attach(network, "eth0", address)], []);
        host.Backend.Setup(setup);
        Assert.NotEmpty(CniTestHost.RulesFor(address));

        host.DeleteNetns(netns);
        host.Backend.Teardown(setup);
        host.Backend.Teardown(setup);
        host.Backend.Remove(network);

        Assert.Empty(CniTestHost.RulesFor(address));
        Assert.Empty(host.Leftovers());
    }

    [Fact]
    public void Containers_an_older_build_set_up_with_a_masquerade_chain_each_are_torn_down_completely()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.Network("older");
        // What an older build stored and ran: the bridge plugin's ipMasq (a nat chain per
        // container) and the loopback plugin, both cached for their DEL.
        CniNetworkList generated = CniNetworkConfig.Generate(network);
        JsonObject oldBridge = (JsonObject)generated.Plugins[0].DeepClone();
        oldBridge["ipMasq"] = true;
        CniNetworkList older = new(network.Name, generated.CniVersion, [oldBridge, .. generated.Plugins.Skip(1)]);
        older.Save(host.Backend.ListPath(network.Name));
        CniClient client = new(host.Backend.Runner, new CniResultCache(Path.Combine(host.Layout.CniDirectory, "results")));
        CniNetworkList loopback = new("loopback", CniNetworkList.SpecVersion, [new JsonObject { ["type"] = "loopback" }]);
        string alive = host.NewNetns(), gone = host.NewNetns(), fresh = host.NewNetns();
        NetworkSetup aliveSetup = new(host.ContainerId("m"), "alive", alive, [host.Attach(network, "eth0", CniTestHost.AddressIn(network, 41))], []);
        NetworkSetup goneSetup = new(host.ContainerId("n"), "gone", gone, [host.Attach(network, "eth0", CniTestHost.AddressIn(network, 42))], []);
        foreach (NetworkSetup old in (NetworkSetup[])[aliveSetup, goneSetup])
        {
            client.Add(loopback, new CniRuntime(old.ContainerId, old.NetnsPath, "lo", []), []);
            client.Add(older, new CniRuntime(old.ContainerId, old.NetnsPath, "eth0", CniNetworkConfig.Args(old.Networks[0])), []);
            Assert.Equal(0, CniTestHost.Exec("iptables", "-t", "nat", "-S", MasqueradeLeftovers.ChainName(network.Name, old.ContainerId)).Exit);
        }

        // A container this build sets up on the same bridge gets the network's rule, and the
        // network's stored list this build's configuration.
        NetworkSetup freshSetup = new(host.ContainerId("o"), "fresh", fresh, [host.Attach(network, "eth0", CniTestHost.AddressIn(network, 43))], []);
        host.Backend.Setup(freshSetup);
        Assert.Contains(CniTestHost.Sh("iptables", "-t", "nat", "-S", NetworkMasquerade.Chain).Split('\n'), l => l.Contains($"-s {network.Subnets[0].Subnet} ! -o {network.InterfaceName} "));
        Assert.False(CniNetworkList.Load(host.Backend.ListPath(network.Name)).Plugins[0]["ipMasq"]!.GetValue<bool>());

        host.DeleteNetns(gone);
        host.Backend.Teardown(aliveSetup);
        host.Backend.Teardown(goneSetup);
        host.Backend.Teardown(freshSetup);
        foreach (NetworkSetup old in (NetworkSetup[])[aliveSetup, goneSetup])
            Assert.NotEqual(0, CniTestHost.Exec("iptables", "-t", "nat", "-S", MasqueradeLeftovers.ChainName(network.Name, old.ContainerId)).Exit);
        host.Backend.Remove(network);
        host.DeleteNetns(alive);
        host.DeleteNetns(fresh);
        Assert.Empty(host.Leftovers());
    }

    [Fact]
    public void An_internal_network_has_no_address_on_the_host_no_route_out_and_no_masquerade()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.Network("inside", isInternal: true);
        string netns = host.NewNetns(), peerNetns = host.NewNetns();
        string address = CniTestHost.AddressIn(network, 9), peer = CniTestHost.AddressIn(network, 10);
        NetworkSetup setup = new(host.ContainerId("c"), "inside", netns, [host.Attach(network, "eth0", address)], []);
        NetworkSetup peerSetup = new(host.ContainerId("d"), "peer", peerNetns, [host.Attach(network, "eth0", peer)], []);

        NetworkStatus status = host.Backend.Setup(setup);
        host.Backend.Setup(peerSetup);

        Assert.Empty(Assert.Single(status.Interfaces).Gateways);
        Assert.DoesNotContain("inet ", CniTestHost.Sh("ip", "-4", "-o", "addr", "show", "dev", network.InterfaceName));
        Assert.DoesNotContain("default", host.InNetns(netns, "ip", "-4", "route"));
        Assert.NotEqual(0, CniTestHost.Exec("ip", "netns", "exec", Path.GetFileName(netns), "ip", "route", "get", "192.0.2.2").Exit);
        Assert.Empty(CniTestHost.RulesFor(address));
        Assert.DoesNotContain(CniTestHost.Sh("iptables-save").Split('\n'), l => l.Contains($"-s {network.Subnets[0].Subnet} ", StringComparison.Ordinal));
        Assert.Equal("0", File.ReadAllText($"/proc/sys/net/ipv6/conf/{network.InterfaceName}/accept_ra").Trim());
        // Containers on it still reach each other.
        Assert.Equal(0, CniTestHost.Exec("ip", "netns", "exec", Path.GetFileName(netns), "busybox", "ping", "-c", "1", "-W", "5", peer.Split('/')[0]).Exit);

        host.Backend.Teardown(peerSetup);
        host.Backend.Teardown(setup);
        host.Backend.Remove(network);
        host.DeleteNetns(netns);
        host.DeleteNetns(peerNetns);
        Assert.Empty(host.Leftovers());
    }

    [Fact]
    public void A_published_port_answers_on_127_0_0_1_and_its_rules_go_with_teardown()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.Network("ports");
        string netns = host.NewNetns();
        string address = CniTestHost.AddressIn(network, 11);
        ushort hostPort = (ushort)Random.Shared.Next(20000, 40000);
        NetworkSetup setup = new(host.ContainerId("e"), "ports", netns, [host.Attach(network, "eth0", address)],
            [new PortMapping("127.0.0.1", hostPort, 8080, 1, "tcp")]);
        host.Backend.Setup(setup);

        using Process server = StartIn(netns, "busybox", "nc", "-l", "-p", "8080", "-e", "busybox", "echo", "hello-from-the-container");
        string reply = "";
        for (int attempt = 0; attempt < 100 && reply.Length == 0; attempt++)
        {
            // Until the listener is up the connection is refused and nc fails at once.
            (int exit, string output, _) = CniTestHost.Exec("sh", "-c", $"busybox nc 127.0.0.1 {hostPort} </dev/null");
            if (exit == 0) reply = output.Trim();
            else Thread.Sleep(100);
        }
        Assert.Equal("hello-from-the-container", reply);
        server.WaitForExit();

        host.Backend.Teardown(setup);
        Assert.DoesNotContain(CniTestHost.Sh("iptables-save"), $"--dport {hostPort}");
        host.Backend.Remove(network);
        host.DeleteNetns(netns);
        Assert.Empty(host.Leftovers());
    }

    [Fact]
    public void A_real_plugin_error_names_the_plugin_and_the_network_and_leaves_nothing()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.Network("broken");
        string netns = host.NewNetns();
        NetworkSetup bad = new(host.ContainerId("f"), "broken", netns, [host.Attach(network, "eth0", "not-an-address/24")], []);

        CniPluginException error = Assert.Throws<CniPluginException>(() => host.Backend.Setup(bad));
        Assert.Equal("bridge", error.Plugin);
        Assert.Contains($"CNI plugin \"bridge\" failed on ADD for network \"{network.Name}\"", error.Message);
        Assert.Contains("not-an-address", error.Message);
        Assert.Equal("lo", host.InNetns(netns, "ls", "/sys/class/net").Trim());

        // The network still works after the failure.
        string address = CniTestHost.AddressIn(network, 12);
        NetworkSetup good = new(host.ContainerId("g"), "good", netns, [host.Attach(network, "eth0", address)], []);
        host.Backend.Setup(good);
        host.Backend.Teardown(good);
        host.Backend.Remove(network);
        host.DeleteNetns(netns);
        Assert.Empty(host.Leftovers());
    }

    [Fact]
    public void A_plugin_error_object_and_plain_stderr_are_shown_with_the_plugin_name()
    {
        string plugins = Directory.CreateTempSubdirectory("skiff-cni-plugins-").FullName;
        try
        {
            WritePlugin(plugins, "skiff-fail-json", """
                #!/bin/sh
                cat >/dev/null
                printf '{"cniVersion":"1.0.0","code":42,"msg":"cannot frobnicate","details":"the frobnicator is out of order"}'
                exit 1
                """);
            WritePlugin(plugins, "skiff-fail-text", """
                #!/bin/sh
                cat >/dev/null
                echo "panic: runtime error: index out of range" >&2
                exit 2
                """);
            CniClient client = new(new CniPluginRunner([plugins]), new CniResultCache(Path.Combine(plugins, "results")));
            CniRuntime runtime = new(new string('1', 64), "/proc/self/ns/net", "eth0", []);

            CniPluginException json = Assert.Throws<CniPluginException>(() => client.Add(List("netjson", "skiff-fail-json"), runtime, []));
            Assert.Equal("CNI plugin \"skiff-fail-json\" failed on ADD for network \"netjson\": cannot frobnicate: the frobnicator is out of order (CNI error code 42)", json.Message);
            Assert.Equal(42u, json.Code);

            CniPluginException text = Assert.Throws<CniPluginException>(() => client.Add(List("nettext", "skiff-fail-text"), runtime, []));
            Assert.Equal("CNI plugin \"skiff-fail-text\" failed on ADD for network \"nettext\": stderr: panic: runtime error: index out of range", text.Message);

            EngineException missing = Assert.Throws<EngineException>(() => client.Add(List("netmissing", "no-such-plugin"), runtime, []));
            Assert.Equal($"network \"netmissing\": CNI plugin \"no-such-plugin\" not found in {plugins} (engine config cni_plugin_dirs)", missing.Message);
            Assert.False(Directory.Exists(Path.Combine(plugins, "results")) && Directory.EnumerateFiles(Path.Combine(plugins, "results")).Any());
        }
        finally
        {
            Directory.Delete(plugins, recursive: true);
        }
    }

    [Fact]
    public void DEL_gets_the_cached_ADD_result_and_configuration_in_reverse_order()
    {
        string plugins = Directory.CreateTempSubdirectory("skiff-cni-plugins-").FullName;
        using CniTestHost host = new([plugins]);
        try
        {
            WritePlugin(plugins, "skiff-recorder", """
                #!/usr/bin/python3
                import json, os, sys
                config = json.load(sys.stdin)
                log = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "record.jsonl")
                with open(log, "a") as f:
                    f.write(json.dumps({"command": os.environ["CNI_COMMAND"], "config": config, "args": os.environ["CNI_ARGS"],
                                        "ifname": os.environ["CNI_IFNAME"], "id": os.environ["CNI_CONTAINERID"]}) + "\n")
                if os.environ["CNI_COMMAND"] == "ADD":
                    print(json.dumps(config["prevResult"]))
                """);
            NetworkDefinition network = host.Network("cache");
            string netns = host.NewNetns();
            string address = CniTestHost.AddressIn(network, 13);
            CniNetworkList generated = CniNetworkConfig.Generate(network);
            CniNetworkList list = new(network.Name, "1.0.0", [generated.Plugins[0], new JsonObject { ["type"] = "skiff-recorder", ["capabilities"] = new JsonObject { ["mac"] = true } }]);
            CniClient client = new(host.Backend.Runner, new CniResultCache(Path.Combine(host.Layout.CniDirectory, "results")));
            NetworkAttachment attachment = host.Attach(network, "eth0", address);
            CniRuntime runtime = new(host.ContainerId("h"), netns, "eth0", CniNetworkConfig.Args(attachment));

            CniResult result = client.Add(list, runtime, new JsonObject { ["mac"] = "02:00:00:00:00:01", ["portMappings"] = new JsonArray() });
            Assert.Equal(address, Assert.Single(result.Ips).Address);
            JsonObject add = Record(plugins)[0];
            Assert.Equal("ADD", add["command"]!.GetValue<string>());
            JsonObject addConfig = add["config"]!.AsObject();
            Assert.Equal(network.Name, addConfig["name"]!.GetValue<string>());
            Assert.Equal("1.0.0", addConfig["cniVersion"]!.GetValue<string>());
            // Only the capability the plugin declares reaches it.
            Assert.Equal("""{"mac":"02:00:00:00:00:01"}""", addConfig["runtimeConfig"]!.ToJsonString());
            JsonNode bridgeResult = addConfig["prevResult"]!;
            Assert.Contains($"IP={address}", add["args"]!.GetValue<string>());

            // DEL is given a list whose bridge is elsewhere: the cached configuration must win.
            JsonObject elsewhere = (JsonObject)list.Plugins[0].DeepClone();
            elsewhere["bridge"] = "skiff-nowhere";
            client.Delete(new CniNetworkList(network.Name, "1.0.0", [elsewhere, list.Plugins[1]]), runtime with { Args = [] }, []);

            JsonObject del = Record(plugins)[1];
            Assert.Equal("DEL", del["command"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(bridgeResult, del["config"]!["prevResult"]), $"DEL's prevResult {del["config"]!["prevResult"]} is not ADD's result {bridgeResult}");
            Assert.Equal(add["args"]!.GetValue<string>(), del["args"]!.GetValue<string>());
            Assert.Equal("lo", host.InNetns(netns, "ls", "/sys/class/net").Trim());
            Assert.False(File.Exists(client.Cache.PathOf(network.Name, runtime.ContainerId, "eth0")));

            // A second DEL has no cache: it runs with what it is given and no previous result.
            client.Delete(list, runtime, []);
            JsonObject again = Record(plugins)[2];
            Assert.Null(again["config"]!["prevResult"]);

            host.Backend.Remove(network);
            host.DeleteNetns(netns);
            Assert.Empty(host.Leftovers());
        }
        finally
        {
            Directory.Delete(plugins, recursive: true);
        }
    }

    [Fact]
    public void CHECK_passes_on_what_ADD_made_and_names_the_plugin_when_it_changed()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.Network("check");
        string netns = host.NewNetns();
        string address = CniTestHost.AddressIn(network, 14);
        CniNetworkList list = CniNetworkConfig.Generate(network);
        CniClient client = new(host.Backend.Runner, new CniResultCache(Path.Combine(host.Layout.CniDirectory, "results")));
        CniRuntime runtime = new(host.ContainerId("i"), netns, "eth0", CniNetworkConfig.Args(host.Attach(network, "eth0", address)));
        client.Add(list, runtime, []);

        client.Check(list, runtime);

        host.InNetns(netns, "ip", "addr", "flush", "dev", "eth0");
        CniPluginException error = Assert.Throws<CniPluginException>(() => client.Check(list, runtime));
        Assert.Equal("bridge", error.Plugin);
        Assert.StartsWith($"CNI plugin \"bridge\" failed on CHECK for network \"{network.Name}\": ", error.Message);

        // The bridge plugin finds the masquerade rules to delete through the (now flushed)
        // addresses: the backend's teardown must remove them anyway.
        host.Backend.Teardown(new NetworkSetup(runtime.ContainerId, "check", netns, [host.Attach(network, "eth0", address)], []));
        host.Backend.Remove(network);
        host.DeleteNetns(netns);
        Assert.Empty(host.Leftovers());
    }

    // ipvlan is built the same way, but this host's kernel has no ipvlan driver to test it with.
    [Fact]
    public void A_macvlan_network_connects_its_containers()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.VlanNetwork("macvlan", "macvlan");
        host.Backend.Validate(network);
        string first = host.NewNetns(), second = host.NewNetns();
        string a = CniTestHost.AddressIn(network, 21), b = CniTestHost.AddressIn(network, 22);
        NetworkSetup one = new(host.ContainerId("j"), "one", first, [host.Attach(network, "eth0", a)], []);
        NetworkSetup two = new(host.ContainerId("k"), "two", second, [host.Attach(network, "eth0", b)], []);

        host.Backend.Setup(one);
        host.Backend.Setup(two);

        Assert.Contains($"inet {a}", host.InNetns(first, "ip", "-4", "-o", "addr", "show", "dev", "eth0"));
        Assert.Contains($"default via {network.Subnets[0].Gateway}", host.InNetns(first, "ip", "-4", "route"));
        Assert.Equal(0, CniTestHost.Exec("ip", "netns", "exec", Path.GetFileName(first), "busybox", "ping", "-c", "1", "-W", "5", b.Split('/')[0]).Exit);

        host.Backend.Teardown(two);
        host.Backend.Teardown(one);
        Assert.Equal("lo", host.InNetns(first, "ls", "/sys/class/net").Trim());
        host.Backend.Remove(network);
        host.DeleteNetns(first);
        host.DeleteNetns(second);
        CniTestHost.Must("ip", "link", "delete", network.InterfaceName);
        Assert.Empty(host.Leftovers());
    }

    [Fact]
    public void A_dual_stack_network_gives_both_addresses_and_both_gateways()
    {
        using CniTestHost host = new();
        NetworkDefinition network = host.DualStackNetwork("dual");
        string netns = host.NewNetns();
        string v4 = CniTestHost.AddressIn(network, 31), v6 = network.Subnets[1].Subnet.Replace("::/64", "::31/64");
        NetworkSetup setup = new(host.ContainerId("l"), "dual", netns, [new NetworkAttachment(network, "eth0", [v4, v6], null, [])], []);
        host.Attach(network, "eth0", v4);

        AttachedInterface eth0 = Assert.Single(host.Backend.Setup(setup).Interfaces);

        Assert.Equal([v4, v6], eth0.Addresses);
        Assert.Equal([network.Subnets[0].Gateway, network.Subnets[1].Gateway], eth0.Gateways);
        Assert.Contains($"inet6 {v6}", host.InNetns(netns, "ip", "-6", "-o", "addr", "show", "dev", "eth0"));
        Assert.Contains($"default via {network.Subnets[1].Gateway}", host.InNetns(netns, "ip", "-6", "route"));
        Assert.Equal("0", File.ReadAllText($"/proc/sys/net/ipv6/conf/{network.InterfaceName}/accept_ra").Trim());

        host.Backend.Teardown(setup);
        host.Backend.Remove(network);
        host.DeleteNetns(netns);
        Assert.Empty(host.Leftovers());
    }

    private static CniNetworkList List(string name, string type) => new(name, "1.0.0", [new JsonObject { ["type"] = type }]);

    private static List<JsonObject> Record(string plugins) =>
        File.ReadAllLines(Path.Combine(plugins, "record.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    private static void WritePlugin(string directory, string name, string script)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, script + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static Process StartIn(string netns, params string[] command)
    {
        ProcessStartInfo start = new("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["netns", "exec", Path.GetFileName(netns), .. command]) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }
}
