using Skiff.Engine.Containers;
using Skiff.Engine.Network;

namespace Skiff.Engine;

/// <summary>The network verbs that act on containers, under each container's lock.</summary>
public sealed partial class ContainerEngine
{
    public NetworkStore Networks => Networking.Store;

    public void ConnectNetwork(string networkReference, string containerReference, NetworkChoice choice)
    {
        NetworkDefinition network = Networks.Resolve(networkReference);
        ContainerRecord record = Database.Resolve(containerReference);
        using ContainerLock guard = LockOf(record.Id);
        record = Refresh(Database.Find(record.Id) ?? throw new NoSuchContainerException(containerReference));
        bool running = record.State.Status is ContainerStatus.Running or ContainerStatus.Paused;
        Networking.Connect(record, network, choice, running);
        record.Request.Network ??= new NetworkRequest();
        record.Request.Network.Networks.RemoveAll(n => n.Name == network.Name || n.Name == network.Id);
        record.Request.Network.Networks.Add(new NetworkChoice { Name = network.Name, Aliases = choice.Aliases, Ipv4 = choice.Ipv4, Ipv6 = choice.Ipv6, Mac = choice.Mac });
        Database.UpdateRequest(record);
    }

    public void DisconnectNetwork(string networkReference, string containerReference)
    {
        ContainerRecord record = Database.Resolve(containerReference);
        using ContainerLock guard = LockOf(record.Id);
        record = Refresh(Database.Find(record.Id) ?? throw new NoSuchContainerException(containerReference));
        // The network is resolved there: one that is gone may still be named by its id.
        NetworkDefinition network = Networking.Disconnect(record, networkReference);
        if (record.Request.Network is { } request)
        {
            request.Networks.RemoveAll(n => n.Name == network.Name || n.Name == network.Id);
            Database.UpdateRequest(record);
        }
    }

    /// <summary><c>network rm</c>: a network some container asked for is refused; with <paramref name="force"/> an unknown one is no error.</summary>
    public void RemoveNetwork(string reference, bool force)
    {
        if (force && Database.ResolveNetwork(reference) is null) return;
        Networks.Remove(Networks.Resolve(reference));
    }

    /// <summary><c>network prune</c>: every user network no container asked for.</summary>
    public List<string> PruneNetworks(Func<NetworkDefinition, bool> selected)
    {
        List<string> removed = [];
        foreach (NetworkDefinition network in Networks.List())
        {
            if (network.Name == NetworkStore.DefaultName || Networks.InUse(network) || !selected(network)) continue;
            Networks.Remove(network);
            removed.Add(network.Name);
        }
        return removed;
    }

    /// <summary><c>network inspect</c>: the definition, with every running member's endpoint.</summary>
    public NetworkInspect InspectNetwork(string reference)
    {
        NetworkDefinition network = Networks.Resolve(reference);
        NetworkInspect inspect = NetworkInspect.From(network);
        foreach (Store.NetworkRun run in Database.NetworkRuns())
        {
            if (run.Setup?.Networks.FirstOrDefault(a => a.Network.Id == network.Id) is not { } attachment) continue;
            AttachedInterface? link = run.Status?.Interfaces.FirstOrDefault(i => i.NetworkName == network.Name);
            inspect.Containers[run.ContainerId] = new NetworkEndpoint
            {
                Name = run.Setup.ContainerName,
                EndpointID = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(run.ContainerId + network.Id))),
                MacAddress = link?.MacAddress ?? attachment.MacAddress ?? "",
                IPv4Address = attachment.Addresses.FirstOrDefault(a => !a.Contains(':')) ?? "",
                IPv6Address = attachment.Addresses.FirstOrDefault(a => a.Contains(':')) ?? "",
            };
        }
        return inspect;
    }
}
