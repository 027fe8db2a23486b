using System.Text.Json.Nodes;
using Skiff.Engine.Config;
using Skiff.Images.Fs;

namespace Skiff.Engine.Network.Cni;

/// <summary>
/// The cni network backend: each network a CNI configuration list generated from its definition
/// and stored under the engine root (<c>cni/networks/NAME.conflist</c>), each attachment an ADD of
/// that list with the engine's addresses, each ADD's result cached (<c>cni/results/</c>) for its
/// DEL; the container's lo is brought up in-process (<see cref="LoopbackLink"/>). Plugin runs are serialized per
/// engine root: plugins share the bridge, its address and the firewall chains. A user network's
/// bridge stays from its first container to network rm, as under the netavark backend; the default
/// network's is deleted with its last container. A routed bridge network's outbound NAT is one rule
/// of its own (<see cref="NetworkMasquerade"/>), kept with its bridge. Name resolution is the
/// engine's /etc/hosts: this backend runs no DNS server.
/// </summary>
public sealed class CniBackend : INetworkBackend
{
    private readonly EngineLayout _layout;
    private readonly CniClient _client;

    public CniBackend(EngineConfig config, EngineLayout layout)
    {
        _layout = layout;
        Runner = new CniPluginRunner(config.CniPluginDirs);
        _client = new CniClient(Runner, new CniResultCache(Path.Combine(layout.CniDirectory, "results")));
    }

    public string Name => "cni";

    internal CniPluginRunner Runner { get; }

    internal string ListPath(string network) => Path.Combine(_layout.CniDirectory, "networks", network + ".conflist");

    public void Validate(NetworkDefinition network)
    {
        CniNetworkConfig.Validate(network);
        foreach (JsonObject plugin in CniNetworkConfig.Generate(network).Plugins)
        {
            Runner.Locate(plugin["type"]!.GetValue<string>(), network.Name);
            if (plugin["ipam"] is JsonObject ipam) Runner.Locate(ipam["type"]!.GetValue<string>(), network.Name);
        }
    }

    public NetworkStatus Setup(NetworkSetup setup)
    {
        using FileLock guard = Lock();
        List<AttachedInterface> interfaces = [];
        List<NetworkAttachment> done = [];
        try
        {
            // netavark brings the container's lo up itself; under CNI this backend does.
            LoopbackLink.Up(setup.NetnsPath);
            for (int i = 0; i < setup.Networks.Count; i++)
            {
                NetworkAttachment attachment = setup.Networks[i];
                CniNetworkList list = ListOf(attachment.Network);
                CniRuntime runtime = new(setup.ContainerId, setup.NetnsPath, attachment.InterfaceName, CniNetworkConfig.Args(attachment));
                CniResult result = _client.Add(list, runtime, CniNetworkConfig.Capabilities(attachment, setup.Ports, primary: i == 0));
                done.Add(attachment);
                Bridges.Harden(attachment.Network);
                NetworkMasquerade.Ensure(attachment.Network);
                interfaces.Add(Describe(attachment, result, setup.NetnsPath));
            }
        }
        catch (Exception)
        {
            for (int i = done.Count - 1; i >= 0; i--)
            {
                try { Delete(setup, done[i], primary: i == 0); }
                catch (EngineException)
                {
                    // The setup's own error is the one to report.
                }
            }
            // A bridge the failed ADD created before failing has no address; 1.1.1's bridge plugin
            // cannot give it one later ("could not set bridge's mac"), so it goes with the failure
            // (not one of the host's: DeleteIfUnused leaves those).
            foreach (NetworkAttachment attachment in setup.Networks.Take(done.Count + 1))
                if (attachment.Network.Driver == "bridge") BridgeLink.DeleteIfUnused(attachment.Network);
            throw;
        }
        return new NetworkStatus(interfaces, []);
    }

    public void Teardown(NetworkSetup setup)
    {
        using FileLock guard = Lock();
        List<string> failures = [];
        for (int i = setup.Networks.Count - 1; i >= 0; i--)
        {
            try { Delete(setup, setup.Networks[i], primary: i == 0); }
            catch (EngineException e) { failures.Add(e.Message); }
        }
        // Only a container set up by an older build, which ran the loopback plugin, has its ADD
        // cached; a teardown of one network (network disconnect) leaves lo to its other networks.
        if (File.Exists(_client.Cache.PathOf(Loopback.Name, setup.ContainerId, "lo")) && !OtherNetworksRemain(setup.ContainerId))
        {
            try { _client.Delete(Loopback, LoopbackRuntime(setup, NetnsProbe.IsAlive(setup.NetnsPath)), []); }
            catch (EngineException e) { failures.Add(e.Message); }
        }
        if (failures.Count > 0) throw new EngineException(string.Join("; ", failures));
    }

    public void Remove(NetworkDefinition network)
    {
        using FileLock guard = Lock();
        if (File.Exists(ListPath(network.Name))) File.Delete(ListPath(network.Name));
        if (network.Driver != "bridge") return;
        if (network.HostBridge)
        {
            BridgeLink.Release(network);
            return;
        }
        BridgeLink.DeleteIfUnused(network);
        // Also when the bridge stays (ports a forced rm left) or went before its rule did.
        NetworkMasquerade.Remove(network);
    }

    /// <summary>Names under CNI are the engine's /etc/hosts alone, which the engine rewrites.</summary>
    public void Rename(NetworkSetup renamed)
    {
    }

    /// <summary>The list older builds brought the container's lo up with: its own, not any network's.</summary>
    private static readonly CniNetworkList Loopback = new("loopback", CniNetworkList.SpecVersion, [new JsonObject { ["type"] = "loopback" }]);

    private static CniRuntime LoopbackRuntime(NetworkSetup setup, bool alive) => new(setup.ContainerId, alive ? setup.NetnsPath : "", "lo", []);

    /// <summary>Whether an ADD result of this container for a network (not lo) is still cached.</summary>
    private bool OtherNetworksRemain(string containerId) =>
        Directory.Exists(_client.Cache.Directory) && Directory.EnumerateFiles(_client.Cache.Directory, $"*-{containerId}-*.json")
            .Any(f => f != _client.Cache.PathOf(Loopback.Name, containerId, "lo"));

    private void Delete(NetworkSetup setup, NetworkAttachment attachment, bool primary)
    {
        // A namespace that is gone is passed as none: plugins then drop only the host's side.
        bool alive = NetnsProbe.IsAlive(setup.NetnsPath);
        CniRuntime runtime = new(setup.ContainerId, alive ? setup.NetnsPath : "", attachment.InterfaceName, CniNetworkConfig.Args(attachment));
        CniNetworkList? ran = _client.Delete(ListOf(attachment.Network), runtime, CniNetworkConfig.Capabilities(attachment, setup.Ports, primary));
        if (attachment.Network.Driver != "bridge") return;
        // A container whose ADD is not cached may come from an older build, which masqueraded
        // per container; one whose cached list has ipMasq off has no chain of its own.
        if (!attachment.Network.Internal && (ran is null || MasqueradesPerContainer(ran)))
            MasqueradeLeftovers.Remove(attachment.Network.Name, setup.ContainerId,
                ipv4: attachment.Addresses.Any(a => !a.Contains(':')), ipv6: attachment.Addresses.Any(a => a.Contains(':')));
        // A user network's bridge stays until network rm, as Docker's do (and as the netavark
        // backend keeps them): the next container does not make it again. The default network is
        // never removed, so its bridge goes with its last container.
        if (attachment.Network.Name == NetworkStore.DefaultName) BridgeLink.DeleteIfUnused(attachment.Network);
    }

    private static bool MasqueradesPerContainer(CniNetworkList list) =>
        list.Plugins.Any(p => p["type"]?.GetValue<string>() == "bridge" && p["ipMasq"] is JsonValue v && v.TryGetValue(out bool on) && on);

    /// <summary>
    /// The network's stored list, written from its definition the first time it is used, and again
    /// when this build generates another (a network made by an older build): a DEL runs with the
    /// list its ADD cached, so only new ADDs see the change.
    /// </summary>
    private CniNetworkList ListOf(NetworkDefinition network)
    {
        string path = ListPath(network.Name);
        CniNetworkList generated = CniNetworkConfig.Generate(network);
        if (!File.Exists(path) || !JsonNode.DeepEquals(CniNetworkList.Load(path).ToJson(), generated.ToJson())) generated.Save(path);
        return generated;
    }

    private static AttachedInterface Describe(NetworkAttachment attachment, CniResult result, string netns)
    {
        int index = result.Interfaces.FindIndex(i => i.Name == attachment.InterfaceName && i.Sandbox is { Length: > 0 });
        string mac = index >= 0 ? result.Interfaces[index].Mac ?? "" : "";
        List<CniIpConfig> ips = result.Ips.Where(ip => ip.Interface is null || ip.Interface == index).ToList();
        return new AttachedInterface(
            attachment.Network.Name, attachment.InterfaceName, mac,
            ips.Select(ip => ip.Address).ToList(),
            attachment.Network.Internal ? [] : ips.Select(ip => ip.Gateway).OfType<string>().Distinct().ToList());
    }

    private FileLock Lock()
    {
        Directory.CreateDirectory(_layout.CniDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return FileLock.Exclusive(Path.Combine(_layout.CniDirectory, "cni.lock"));
    }
}
