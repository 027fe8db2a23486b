using Skiff.Engine.Config;
using Skiff.Engine.Containers;
using Skiff.Engine.Spec;
using Skiff.Engine.Store;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Engine.Network;

/// <summary>
/// A container's networking over its life: at create, which networks it asked for; at start, its
/// own netns (recorded before it is made), leases, the backend's wiring, /etc/hosts and
/// resolv.conf; at teardown, all of that undone in reverse, from what the database recorded, so a
/// run that a killed skiff left half-done is undone the same way.
/// </summary>
public sealed class ContainerNetworking(EngineLayout layout, EngineDatabase database, EngineConfig config)
{
    private NetworkStore? _store;

    public NetworkStore Store => _store ??= new NetworkStore(layout, database, NetworkBackends.Create(config, layout));

    private HostsFiles Hosts => new(layout, database);

    /// <summary>At create: checks the request and records the networks the container joins.</summary>
    public void Attach(ContainerRecord record)
    {
        NetworkRequest request = record.Request.Network ??= new NetworkRequest();
        foreach (string entry in request.ExtraHosts)
            if (entry.IndexOf(':') is <= 0 || entry.EndsWith(':'))
                throw new EngineException($"invalid argument \"{entry}\" for \"--add-host\" flag: bad format for add-host, expected NAME:IP");
        if (request.Mode is not null)
        {
            if (request.Networks.Count > 0) throw new EngineException($"--network {request.Mode} cannot be combined with other networks");
            if (request.Mode is not ("none" or "host") && request.SharedWith is null)
                throw new EngineException($"--network {request.Mode}: unknown network mode");
            if (request.Ports.Count > 0 && !request.IsHost)
                throw new EngineException($"conflicting options: port publishing and the container type network mode ({request.Mode})");
            if (request.SharedWith is { } other)
            {
                try
                {
                    request.Mode = "container:" + database.Resolve(other).Id;
                }
                catch (NoSuchContainerException e)
                {
                    throw new EngineException(e.Message);
                }
            }
            return;
        }
        if (request.Networks.Count == 0) request.Networks.Add(new NetworkChoice { Name = NetworkStore.DefaultName });
        foreach (NetworkChoice choice in request.Networks)
        {
            NetworkDefinition network = Store.Resolve(choice.Name);
            if (choice.Aliases.Count > 0 && !network.DnsEnabled && network.Name == NetworkStore.DefaultName)
                throw new EngineException("network-scoped aliases are supported only for containers in user defined networks");
            // A network rm between the lookup and the row: the row is written only while the network exists.
            if (!database.InsertContainerNetwork(new ContainerNetwork(record.Id, network.Id, choice.Aliases, choice.Ipv4, choice.Ipv6, choice.Mac)))
                throw new EngineException($"network {choice.Name} not found");
        }
    }

    /// <summary>
    /// At start, after the container's files are written: records the run (leases and the setup
    /// the backend gets, in one transaction), makes its netns and starts the backend's setup, which
    /// runs while the runtime creates the container. The returned wiring names the netns the
    /// runtime joins (null: host networking, or none, where the runtime makes an empty one);
    /// <see cref="NetworkWiring.Complete"/> must be called before the container's process starts.
    /// </summary>
    public NetworkWiring Start(ContainerRecord record, ContainerFiles files, IEnumerable<string>? imageExposed)
    {
        NetworkRequest request = record.Request.Network ?? new NetworkRequest { Mode = "none" };
        if (request.IsNone)
        {
            ApplyDns(request, files, []);
            return NetworkWiring.Done(null);
        }
        if (request.IsHost)
        {
            HostsFiles.WriteInPlace(files.Hosts, HostFile("/etc/hosts") + string.Concat(request.ExtraHosts.Select(e => HostsFiles.ExtraHostLine(e.Replace("host-gateway", "127.0.0.1"), null) + "\n")));
            HostsFiles.WriteInPlace(files.ResolvConf, HostFile("/etc/resolv.conf"));
            ApplyDns(request, files, []);
            return NetworkWiring.Done(null);
        }
        if (request.SharedWith is { } otherId) return NetworkWiring.Done(JoinOther(otherId, files));

        RetryDeferredTeardowns(record);
        string netns = layout.Netns(record.Id);
        // Recorded before the netns exists, so that a skiff killed from here on leaves what teardown needs.
        NetworkSetup setup = database.InNetworkTransaction(() =>
        {
            AddressAllocator allocator = new(database);
            List<NetworkAttachment> attachments = [];
            foreach (ContainerNetwork row in database.ContainerNetworks(record.Id))
            {
                NetworkDefinition network = Store.Find(row.NetworkId) ?? throw new EngineException($"container {record.Name}: one of its networks ({row.NetworkId[..12]}) was removed; disconnect it first");
                attachments.Add(new NetworkAttachment(network, $"eth{attachments.Count}", allocator.Allocate(network, record.Id, row.Ipv4, row.Ipv6), row.Mac, Aliases(record, row)));
            }
            NetworkSetup planned = new(record.Id, record.Name, netns, attachments, Ports(record, request, imageExposed));
            database.SaveNetworkRun(record.Id, netns, planned, null);
            return planned;
        });
        NetworkNamespace.Create(netns);
        INetworkBackend backend = Store.Backend;
        // The backend runs no query of ours: the database connection stays with this thread.
        Task<NetworkStatus> wiring = Task.Run(() => backend.Setup(setup));
        return new NetworkWiring(netns, wiring, status =>
        {
            database.SaveNetworkRun(record.Id, netns, setup, status);
            Hosts.Refresh([record.Id], setup.Networks.Where(a => a.Network.DnsEnabled).Select(a => a.Network.Id));
            ApplyDns(request, files, setup.Networks.Any(a => a.Network.DnsEnabled) ? status.DnsServers : []);
        });
    }

    /// <summary>
    /// Undoes <see cref="Start"/>, whatever of it happened: the backend's wiring, the netns, the
    /// leases, the peers' hosts entries. Safe to run twice and on a container that never started.
    /// </summary>
    public void Stop(ContainerRecord record) => BeginStop(record).Finish();

    /// <summary>
    /// <see cref="Stop"/> in two halves, so that the caller's own teardown runs meanwhile: the
    /// backend's teardown and the netns's removal start now, on another thread (they run no query
    /// of ours); <see cref="NetworkUnwiring.Finish"/> waits for them and releases the leases, the run
    /// row and the peers' hosts entries.
    /// </summary>
    public NetworkUnwiring BeginStop(ContainerRecord record)
    {
        NetworkRun? run = database.FindNetworkRun(record.Id);
        if (run is null) return new NetworkUnwiring(null, _ => database.ReleaseLeases(record.Id));
        INetworkBackend? backend = run.Setup is null ? null : Store.Backend;
        Task<TeardownOutcome> unwiring = Task.Run(() =>
        {
            List<string> problems = [];
            bool backendFailed = false;
            if (run.Setup is { } setup)
            {
                // A failed backend teardown (a plugin's bad output too) may leave rules that send
                // traffic to the run's addresses and ports: it is tried once more at once (another
                // root's netavark or iptables may have been busy with the same chains), then
                // deferred. The netns goes either way: both backends tear down without it.
                for (int attempt = 1; ; attempt++)
                {
                    try
                    {
                        backend!.Teardown(setup);
                        break;
                    }
                    catch (Exception) when (attempt == 1)
                    {
                        // Said only if the second attempt fails too: a user sees one outcome.
                        Thread.Sleep(100);
                    }
                    catch (Exception e)
                    {
                        problems.Add(e.Message);
                        backendFailed = true;
                        break;
                    }
                }
            }
            try
            {
                NetworkNamespace.Remove(run.Netns);
            }
            catch (Exception e)
            {
                problems.Add(e.Message);
            }
            return new TeardownOutcome(problems, backendFailed);
        });
        return new NetworkUnwiring(unwiring, deferred =>
        {
            database.InNetworkTransaction(() =>
            {
                if (deferred) database.DeferTeardown(record.Id, run.Setup!);
                else database.ReleaseLeases(record.Id);
                database.DeleteNetworkRun(record.Id);
                return 0;
            });
            if (run.Setup is { } done) Hosts.Refresh([], done.Networks.Where(a => a.Network.DnsEnabled).Select(a => a.Network.Id));
        }, record.Name);
    }

    /// <summary>
    /// Tries again the backend teardowns that failed, before a start: one of the starting
    /// container's own must succeed first (its new run would take the same addresses), and one of
    /// another container's (a removed one's too) that fails again stays deferred.
    /// </summary>
    private void RetryDeferredTeardowns(ContainerRecord starting)
    {
        foreach (NetworkSetup deferred in database.DeferredTeardowns())
        {
            try
            {
                Store.Backend.Teardown(deferred);
            }
            catch (Exception e) when (deferred.ContainerId != starting.Id)
            {
                Console.Error.WriteLine($"skiff: network teardown of container {deferred.ContainerName} (deferred): {e.Message}");
                continue;
            }
            catch (Exception e)
            {
                throw new EngineException($"container {starting.Name}: the network teardown of its previous run failed, and fails again: {e.Message}");
            }
            database.InNetworkTransaction(() =>
            {
                if (database.FindNetworkRun(deferred.ContainerId) is null) database.ReleaseLeases(deferred.ContainerId);
                database.DeleteDeferredTeardown(deferred.ContainerId);
                return 0;
            });
        }
    }

    /// <summary>
    /// After <c>rename</c> (the record has the new name): a wired container's run takes the new name
    /// and aliases, and its peers' /etc/hosts and the backend's DNS records follow.
    /// </summary>
    public void Renamed(ContainerRecord record)
    {
        if (database.FindNetworkRun(record.Id) is not { Setup: { } setup } run) return;
        List<ContainerNetwork> rows = database.ContainerNetworks(record.Id);
        NetworkSetup renamed = setup with
        {
            ContainerName = record.Name,
            Networks = [.. setup.Networks.Select(a => rows.FirstOrDefault(r => r.NetworkId == a.Network.Id) is { } row ? a with { Aliases = Aliases(record, row) } : a)],
        };
        database.SaveNetworkRun(record.Id, run.Netns, renamed, run.Status);
        Hosts.Refresh([record.Id], renamed.Networks.Where(a => a.Network.DnsEnabled).Select(a => a.Network.Id));
        Store.Backend.Rename(renamed);
    }

    /// <summary>At rm: the container no longer asks for any network.</summary>
    public void Forget(string containerId) => database.DeleteContainerNetworks(containerId);

    /// <summary><c>network connect</c>: records the network, and wires it at once when the container runs.</summary>
    public void Connect(ContainerRecord record, NetworkDefinition network, NetworkChoice choice, bool running)
    {
        NetworkRequest request = record.Request.Network ?? new NetworkRequest();
        if (request.Mode is { } mode) throw new EngineException($"container {record.Name} uses --network {mode}: it cannot be connected to a network", 1);
        AddressAllocator.CheckRequested(network, choice.Ipv4, choice.Ipv6);
        ContainerNetwork row = new(record.Id, network.Id, choice.Aliases, choice.Ipv4, choice.Ipv6, choice.Mac);
        if (!database.InsertContainerNetwork(row)) throw new EngineException($"network {network.Name} not found");
        NetworkRun? run = running ? database.FindNetworkRun(record.Id) : null;
        if (run?.Setup is not { } setup) return;
        try
        {
            string name = FreeInterfaceName(setup);
            NetworkAttachment attachment = new(network, name, new AddressAllocator(database).Allocate(network, record.Id, choice.Ipv4, choice.Ipv6), choice.Mac, Aliases(record, row));
            NetworkSetup added = setup with { Networks = [.. setup.Networks, attachment] };
            database.SaveNetworkRun(record.Id, run.Netns, added, run.Status);
            NetworkStatus status = Store.Backend.Setup(setup with { Networks = [attachment], Ports = [] });
            database.SaveNetworkRun(record.Id, run.Netns, added, Merge(run.Status, status));
            Hosts.Refresh([record.Id], [network.Id]);
        }
        catch
        {
            database.DeleteContainerNetwork(record.Id, network.Id);
            database.ReleaseLeases(record.Id, network.Id);
            if (database.FindNetworkRun(record.Id) is { } now) database.SaveNetworkRun(record.Id, now.Netns, setup, run.Status);
            throw;
        }
    }

    /// <summary>
    /// <c>network disconnect</c>: unwires the network if the container runs, then forgets it; returns
    /// the network. A network that is gone while the container still asks for it (an older build's
    /// <c>network rm</c> could do that, and such a container cannot start) is named by its id or a
    /// prefix of it, the one way out.
    /// </summary>
    public NetworkDefinition Disconnect(ContainerRecord record, string reference)
    {
        NetworkDefinition network = database.ResolveNetwork(reference) ?? Gone(record, reference);
        if (!database.ContainerNetworks(record.Id).Any(n => n.NetworkId == network.Id))
            throw new EngineException($"container {record.Name} is not connected to network {network.Name}", 1);
        if (database.FindNetworkRun(record.Id) is { Setup: { } setup } run && setup.Networks.FirstOrDefault(a => a.Network.Id == network.Id) is { } attachment)
        {
            Store.Backend.Teardown(setup with { Networks = [attachment], Ports = setup.Networks[0] == attachment ? setup.Ports : [] });
            database.ReleaseLeases(record.Id, network.Id);
            NetworkStatus? status = run.Status is null ? null : run.Status with { Interfaces = [.. run.Status.Interfaces.Where(i => i.NetworkName != network.Name)] };
            // The ports go with the primary network, whose rules carried them.
            IReadOnlyList<PortMapping> ports = setup.Networks[0] == attachment ? [] : setup.Ports;
            database.SaveNetworkRun(record.Id, run.Netns, setup with { Networks = [.. setup.Networks.Where(a => a != attachment)], Ports = ports }, status);
            Hosts.Refresh([record.Id], [network.Id]);
        }
        database.DeleteContainerNetwork(record.Id, network.Id);
        return network;
    }

    /// <summary>The one network the container asks for, whose id starts with the reference, that no longer exists; its definition as its run last had it, or its id for its name.</summary>
    private NetworkDefinition Gone(ContainerRecord record, string reference)
    {
        string[] ids = [.. database.ContainerNetworks(record.Id).Select(r => r.NetworkId)
            .Where(id => reference.Length > 0 && id.StartsWith(reference, StringComparison.Ordinal) && database.FindNetwork(id) is null)];
        if (ids.Length != 1) throw new EngineException($"network {reference} not found", 1);
        return database.FindNetworkRun(record.Id)?.Setup?.Networks.FirstOrDefault(a => a.Network.Id == ids[0])?.Network
            ?? new NetworkDefinition(ids[0], ids[0], "", "", [], false, false, false, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.MinValue);
    }

    /// <summary>The published ports of a container's current run.</summary>
    public IReadOnlyList<PortMapping> PublishedPorts(string containerId) => database.FindNetworkRun(containerId)?.Setup?.Ports ?? [];

    private string JoinOther(string otherId, ContainerFiles files)
    {
        ContainerRecord other = database.Find(otherId) ?? throw new EngineException($"the container whose network is to be joined ({otherId[..12]}) no longer exists");
        // A pid checked with its start time: a reused one would name a stranger's network namespace.
        if (other.State.Status != ContainerStatus.Running || !ContainerEngine.ProcessAlive(other.State))
            throw new EngineException($"cannot join network of a non running container {other.Name}");
        foreach ((string ours, string theirs) in (ReadOnlySpan<(string, string)>)[(files.Hosts, "hosts"), (files.ResolvConf, "resolv.conf")])
        {
            string source = Path.Combine(layout.Bundle(other.Id), theirs);
            if (File.Exists(source)) HostsFiles.WriteInPlace(ours, File.ReadAllText(source));
        }
        return database.FindNetworkRun(other.Id) is { } run && NetworkNamespace.IsMounted(run.Netns) ? run.Netns : NamespaceKind.Network.ProcPath(other.State.Pid);
    }

    private static List<string> Aliases(ContainerRecord record, ContainerNetwork row) =>
        [.. ((IEnumerable<string>)[record.Name, record.Id[..12], .. row.Aliases]).Distinct()];

    private static string FreeInterfaceName(NetworkSetup setup)
    {
        for (int n = 0; ; n++)
            if (!setup.Networks.Any(a => a.InterfaceName == $"eth{n}")) return $"eth{n}";
    }

    private static NetworkStatus Merge(NetworkStatus? before, NetworkStatus added) =>
        before is null ? added : new NetworkStatus([.. before.Interfaces, .. added.Interfaces], [.. before.DnsServers.Union(added.DnsServers)]);

    /// <summary>The mappings a run gets (<see cref="HostPorts.Assign"/>), against the ports the engine's other containers publish.</summary>
    private List<PortMapping> Ports(ContainerRecord record, NetworkRequest request, IEnumerable<string>? imageExposed)
    {
        List<PortMapping> taken = [.. database.NetworkRuns().Where(r => r.ContainerId != record.Id).SelectMany(r => r.Setup?.Ports ?? []).Concat(database.DeferredTeardowns().SelectMany(d => d.Ports))];
        IEnumerable<string> publishAll = request.PublishAll ? (imageExposed ?? []).Concat(request.Expose).SelectMany(PortSpec.Exposed).Distinct() : [];
        return HostPorts.Assign(request.Ports, publishAll, taken);
    }

    /// <summary>resolv.conf: --dns replaces the nameservers, else the network's DNS server comes first; --dns-search and --dns-option replace theirs.</summary>
    private static void ApplyDns(NetworkRequest request, ContainerFiles files, IReadOnlyList<string> networkServers)
    {
        if (request.Dns.Count == 0 && request.DnsSearch.Count == 0 && request.DnsOptions.Count == 0 && networkServers.Count == 0) return;
        string[] lines = File.ReadAllLines(files.ResolvConf);
        static bool Is(string line, string key) => line.TrimStart().StartsWith(key, StringComparison.Ordinal);
        List<string> servers = request.Dns.Count > 0 ? request.Dns : [.. networkServers, .. lines.Where(l => Is(l, "nameserver")).Select(l => l.Trim()[10..].Trim())];
        List<string> kept = [.. lines.Where(l => !Is(l, "nameserver") && !(request.DnsSearch.Count > 0 && (Is(l, "search") || Is(l, "domain"))) && !(request.DnsOptions.Count > 0 && Is(l, "options")))];
        if (request.DnsSearch.Count > 0) kept.Add("search " + string.Join(' ', request.DnsSearch));
        if (request.DnsOptions.Count > 0) kept.Add("options " + string.Join(' ', request.DnsOptions));
        kept.AddRange(servers.Distinct().Select(s => "nameserver " + s));
        HostsFiles.WriteInPlace(files.ResolvConf, string.Join('\n', kept.Where(l => l.Length > 0)) + "\n");
    }

    private static string HostFile(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
