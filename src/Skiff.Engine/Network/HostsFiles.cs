using System.Text;
using Skiff.Engine.Containers;
using Skiff.Engine.Spec;
using Skiff.Engine.Store;
using Skiff.Images.Fs;

namespace Skiff.Engine.Network;

/// <summary>
/// Every networked container's /etc/hosts: the loopback lines, its own addresses under its
/// hostname, its --add-host entries, and each peer on a shared network with name resolution (its
/// name, aliases and short id). Rebuilt from the database whenever a container joins or leaves a
/// network, so programs that resolve only through files (static busybox) find their peers too.
/// The file is bind-mounted into the container, so it is rewritten in place: a new inode would
/// not be seen inside.
/// </summary>
public sealed class HostsFiles(EngineLayout layout, EngineDatabase database)
{
    private const string Loopback = """
        127.0.0.1	localhost
        ::1	localhost ip6-localhost ip6-loopback
        fe00::0	ip6-localnet
        ff00::0	ip6-mcastprefix
        ff02::1	ip6-allnodes
        ff02::2	ip6-allrouters

        """;

    /// <summary>Rewrites the hosts files of these containers, and of every peer they share a network with.</summary>
    public void Refresh(IEnumerable<string> containerIds, IEnumerable<string> networkIds)
    {
        using FileLock guard = FileLock.Exclusive(Path.Combine(layout.Locks, "hosts"));
        List<NetworkRun> runs = [.. database.NetworkRuns().Where(r => r.Setup is not null)];
        HashSet<string> networks = [.. networkIds];
        HashSet<string> targets = [.. containerIds];
        foreach (NetworkRun run in runs)
            if (run.Setup!.Networks.Any(a => networks.Contains(a.Network.Id))) targets.Add(run.ContainerId);
        foreach (string id in targets)
        {
            if (database.Find(id) is not { } record) continue;
            NetworkRun? own = runs.FirstOrDefault(r => r.ContainerId == id);
            if (own is null) continue;
            WriteInPlace(Path.Combine(layout.Bundle(id), "hosts"), Content(record, own, runs));
        }
    }

    private static string Content(ContainerRecord record, NetworkRun own, List<NetworkRun> runs)
    {
        StringBuilder text = new(Loopback);
        string hostname = SpecGenerator.Hostname(record);
        foreach (NetworkAttachment attachment in own.Setup!.Networks)
            foreach (string address in attachment.Addresses)
                text.Append(Bare(address)).Append('\t').Append(hostname).Append(hostname == record.Name ? "" : " " + record.Name).Append('\n');
        foreach (string entry in record.Request.Network?.ExtraHosts ?? [])
            text.Append(ExtraHostLine(entry, own.Setup)).Append('\n');
        HashSet<string> seen = [];
        foreach (NetworkAttachment mine in own.Setup.Networks.Where(a => a.Network.DnsEnabled))
            foreach (NetworkRun peer in runs)
            {
                if (peer.ContainerId == record.Id) continue;
                NetworkAttachment? theirs = peer.Setup!.Networks.FirstOrDefault(a => a.Network.Id == mine.Network.Id);
                if (theirs is null) continue;
                string names = string.Join(' ', ((IEnumerable<string>)[peer.Setup.ContainerName, .. theirs.Aliases]).Distinct());
                foreach (string address in theirs.Addresses)
                    if (seen.Add($"{address} {names}")) text.Append(Bare(address)).Append('\t').Append(names).Append('\n');
            }
        return text.ToString();
    }

    /// <summary>--add-host NAME:IP; host-gateway is the primary network's gateway (the host as the container reaches it).</summary>
    public static string ExtraHostLine(string entry, NetworkSetup? setup)
    {
        int colon = entry.IndexOf(':');
        string name = entry[..colon], address = entry[(colon + 1)..];
        if (address == "host-gateway")
        {
            address = setup?.Networks.FirstOrDefault()?.Network.Subnets.FirstOrDefault(s => s.Gateway.Length > 0)?.Gateway
                ?? throw new EngineException($"--add-host {entry}: host-gateway needs a network with a gateway");
        }
        return $"{address}\t{name}";
    }

    private static string Bare(string cidr) => cidr.Contains('/') ? cidr[..cidr.IndexOf('/')] : cidr;

    /// <summary>Overwrites the file's bytes and cuts what is left: same inode, never empty in between.</summary>
    public static void WriteInPlace(string path, string content)
    {
        if (!File.Exists(path)) return;
        byte[] bytes = Encoding.UTF8.GetBytes(content);
        using FileStream stream = new(path, FileMode.Open, FileAccess.Write);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }
}
