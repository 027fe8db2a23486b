using System.Net;
using Skiff.Images.Fs;

namespace Skiff.Engine.Network.Cni;

/// <summary>
/// Outbound NAT for a routed bridge network: one rule per subnet, <c>-s SUBNET ! -o BRIDGE -j
/// MASQUERADE</c>, in skiff's own nat chain (<c>SKIFF-MASQUERADE</c>, jumped to from POSTROUTING),
/// as Docker keeps one per network. It replaces the bridge plugin's <c>ipMasq</c>, which makes and
/// deletes a chain of its own per container (on an nf_tables host each deletion waits for an RCU
/// grace period, ~20 ms). The rule lives as long as the network's bridge: made after the first
/// setup on a bridge, deleted when skiff deletes the bridge and at <c>network rm</c>. The bridge
/// carries the sign that its rule was made (its <c>ifalias</c>), so a setup on a bridge that has it
/// only checks the rule; a bridge made again (after a reboot, or by an
/// older build that masqueraded per container) has no alias, and its rule is made then.
/// The chain and its jump stay once made, as the plugins' shared chains do.
/// </summary>
internal static class NetworkMasquerade
{
    public const string Chain = "SKIFF-MASQUERADE";

    /// <summary>What a bridge's ifalias says once its network's rule is in place.</summary>
    public static string Mark(NetworkDefinition network) => MarkPrefix + network.Id[..12];

    private const string MarkPrefix = "skiff masquerade ";

    public static bool Applies(NetworkDefinition network) => network.Driver == "bridge" && !network.Internal;

    /// <summary>Whether the network's bridge exists and says its rule was made.</summary>
    public static bool Marked(NetworkDefinition network)
    {
        string alias = Alias(network);
        return File.Exists(alias) && File.ReadAllText(alias).Trim() == Mark(network);
    }

    /// <summary>
    /// The host-wide lock's directory: root's alone. A world-writable one (/run/lock) would let any
    /// user hold the lock for ever, or plant a symlink that root's open follows.
    /// </summary>
    private const string LockDirectory = "/run/skiff";

    /// <summary>After a setup on the network's bridge, under the backend's lock.</summary>
    public static void Ensure(NetworkDefinition network)
    {
        if (!Applies(network)) return;
        // The mark saves the lock and the chain's creation, not the checks of the rule and of the
        // jump to it: a firewall reload or an `iptables -t nat -F [POSTROUTING]` removes rules and
        // leaves the bridge's alias. A check commits nothing, so it costs no RCU wait.
        if (Marked(network) && AllRulesPresent(network)) return;
        // The chain is the host's, not the engine root's: two roots must not both find its jump
        // missing and add it twice.
        using FileLock host = LockHost();
        foreach ((string tool, string[] rule) in Rules(network))
        {
            EnsureChain(tool);
            // -C first: a bridge without the mark may still have its rule (one deleted and made
            // again by hand, or a setup that failed after the rule and before the mark).
            if (Iptables.Run(tool, ["-t", "nat", "-C", Chain, .. rule]).Exit == 0) continue;
            (int exit, string errors) = Iptables.RunWithErrors(tool, ["-t", "nat", "-A", Chain, .. rule]);
            if (exit != 0) throw new EngineException($"network {network.Name}: adding its masquerade rule ({tool} -t nat -A {Chain} {string.Join(' ', rule)}): {errors.Trim()}");
        }
        // A bridge skiff did not make (com.docker.network.bridge.name naming a host's bridge) may
        // carry an alias of its own (SNMP's ifAlias): it is left, and such a bridge's setups take
        // this locked path every time.
        if (File.Exists(Alias(network)) && File.ReadAllText(Alias(network)).Trim() is var alias
            && (alias.Length == 0 || alias.StartsWith(MarkPrefix, StringComparison.Ordinal)))
            File.WriteAllText(Alias(network), Mark(network));
    }

    private static string Alias(NetworkDefinition network) => $"/sys/class/net/{network.InterfaceName}/ifalias";

    private static bool AllRulesPresent(NetworkDefinition network)
    {
        foreach ((string tool, string[] rule) in Rules(network))
            if (Iptables.Run(tool, ["-t", "nat", "-C", Chain, .. rule]).Exit != 0 || !JumpPresent(tool)) return false;
        return true;
    }

    /// <summary>The host-wide lock on the chain and its jump: held by whatever adds to them or removes them.</summary>
    public static FileLock LockHost() => FileLock.Exclusive(HostLockPath());

    private static string HostLockPath()
    {
        Directory.CreateDirectory(LockDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var directory = new DirectoryInfo(LockDirectory);
        if (directory.LinkTarget is not null || (directory.UnixFileMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 || OwnerOf(LockDirectory) != 0)
            throw new EngineException($"{LockDirectory}: not a directory only root can write to; refusing to keep skiff's host-wide firewall lock there");
        return Path.Combine(LockDirectory, "masquerade.lock");
    }

    private static uint OwnerOf(string path) =>
        Skiff.Linux.Interop.Libc.FstatAt(Skiff.Linux.Kernel.AT_FDCWD, path, out Skiff.Linux.Interop.StatBuffer stat, Skiff.Linux.Kernel.AT_SYMLINK_NOFOLLOW) == 0
            ? stat.Uid
            : throw new EngineException($"{path}: {Skiff.Linux.Errno.Describe(Skiff.Linux.Errno.Last)}");

    /// <summary>When the network's bridge is deleted, and at network rm; a rule already gone is fine.</summary>
    public static void Remove(NetworkDefinition network)
    {
        if (!Applies(network)) return;
        foreach ((string tool, string[] rule) in Rules(network)) Iptables.Run(tool, ["-t", "nat", "-D", Chain, .. rule]);
    }

    /// <summary>One rule per subnet: its traffic leaving by any link but the bridge is masqueraded.</summary>
    private static IEnumerable<(string Tool, string[] Rule)> Rules(NetworkDefinition network)
    {
        foreach (SubnetDefinition subnet in network.Subnets)
        {
            string tool = IPNetwork.Parse(subnet.Subnet).BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ip6tables" : "iptables";
            yield return (tool, ["-s", subnet.Subnet, "!", "-o", network.InterfaceName, "-m", "comment", "--comment", $"skiff network {network.Id[..12]}", "-j", "MASQUERADE"]);
        }
    }

    private static bool JumpPresent(string tool) => Iptables.Run(tool, "-t", "nat", "-C", "POSTROUTING", "-j", Chain).Exit == 0;

    private static void EnsureChain(string tool)
    {
        // -N fails when the chain exists: whether it was made now or before does not matter.
        Iptables.Run(tool, "-t", "nat", "-N", Chain);
        if (JumpPresent(tool)) return;
        (int exit, string errors) = Iptables.RunWithErrors(tool, "-t", "nat", "-A", "POSTROUTING", "-j", Chain);
        if (exit != 0) throw new EngineException($"adding the jump to {Chain} ({tool} -t nat -A POSTROUTING -j {Chain}): {errors.Trim()}");
    }
}
