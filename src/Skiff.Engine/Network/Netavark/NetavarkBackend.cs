using System.Text.Json;
using Skiff.Engine.Config;
using Skiff.Engine.Monitor;
using Skiff.Images.Fs;

namespace Skiff.Engine.Network.Netavark;

/// <summary>
/// Podman's network stack: <c>netavark setup|teardown NETNS</c> with the container's networks as
/// JSON on a file, and aardvark-dns, which netavark starts and feeds, for name resolution. Every
/// invocation runs under one lock per engine root, because netavark rewrites aardvark-dns's
/// per-network files and the firewall chains it shares between containers. A user network's
/// bridge stays from its first container to <c>network rm</c> (<see cref="BridgeKeeper"/>).
/// </summary>
public sealed class NetavarkBackend(EngineConfig config, EngineLayout layout) : INetworkBackend
{
    public string Name => "netavark";

    public void Validate(NetworkDefinition network)
    {
        if (network.Driver is not ("bridge" or "macvlan" or "ipvlan"))
            throw new EngineException($"network {network.Name}: driver \"{network.Driver}\" is not supported by netavark (bridge, macvlan or ipvlan)");
        if (network.Driver == "ipvlan")
            throw new EngineException($"network {network.Name}: netavark 1.4 has no ipvlan driver; use the cni network backend for ipvlan");
        foreach (string key in network.Options.Keys)
        {
            bool known = network.Driver == "bridge" ? key is "mtu" or "isolate" or "metric" : key is "mtu" or "mode" or "metric";
            if (!known) throw new EngineException($"network {network.Name}: option \"{key}\" is not supported by the {network.Driver} driver of netavark");
        }
        if (network.Driver == "macvlan" && network.Options.TryGetValue("mode", out string? mode) && mode is not ("bridge" or "private" or "vepa" or "passthru"))
            throw new EngineException($"network {network.Name}: macvlan mode \"{mode}\" is invalid (bridge, private, vepa or passthru)");
    }

    public NetworkStatus Setup(NetworkSetup setup)
    {
        byte[] input = NetavarkJson.Options(setup);
        using FileLock guard = Lock();
        string output = Run("setup", setup.NetnsPath, input);
        foreach (NetworkAttachment attachment in setup.Networks)
        {
            Bridges.Harden(attachment.Network);
            if (BridgeKeeper.Applies(attachment.Network)) Keeper.Keep(attachment.Network);
        }
        return NetavarkJson.Status(output, setup);
    }

    /// <summary>
    /// netavark 1.4 has no verb to change a running container's names: its lines in aardvark-dns's
    /// files (<c>ID IPV4 IPV6 NAME,ALIAS,...</c>, one file per network) get the new names, and
    /// aardvark-dns rereads them on SIGHUP. netavark's teardown finds the lines by the id alone.
    /// </summary>
    public void Rename(NetworkSetup renamed)
    {
        using FileLock guard = Lock();
        string directory = Path.Combine(layout.NetavarkConfig, "aardvark-dns");
        bool changed = false;
        foreach (NetworkAttachment attachment in renamed.Networks.Where(a => a.Network.DnsEnabled && a.Network.Driver == "bridge"))
        {
            string file = Path.Combine(directory, NetavarkJson.WireName(attachment.Network));
            if (!File.Exists(file)) continue;
            string[] lines = File.ReadAllLines(file);
            bool changedHere = false;
            for (int i = 1; i < lines.Length; i++)
            {
                string[] fields = lines[i].Split(' ');
                if (fields.Length < 4 || fields[0] != renamed.ContainerId) continue;
                fields[3] = string.Join(',', attachment.Aliases);
                lines[i] = string.Join(' ', fields);
                changedHere = true;
            }
            if (!changedHere) continue;
            changed = true;
            // Written beside the directory, not in it: aardvark-dns reads every file there as a
            // network, so a temporary left by a crash would serve stale names for good.
            string temporary = Path.Combine(layout.NetavarkConfig, "aardvark-rename.tmp");
            File.WriteAllLines(temporary, lines);
            File.Move(temporary, file, overwrite: true);
        }
        string pidFile = Path.Combine(directory, "aardvark.pid");
        // The file outlives a daemon that exited: its pid may be another process's by now.
        if (changed && File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) && pid > 0
            && IsAardvark(pid)
            && Skiff.Linux.Interop.Libc.Kill(pid, Skiff.Linux.Signal.SIGHUP) != 0)
            throw new EngineException($"telling aardvark-dns (pid {pid}) to reread its names: {Skiff.Linux.Errno.Describe(Skiff.Linux.Errno.Last)}");
    }

    private static bool IsAardvark(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "aardvark-dns";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Teardown(NetworkSetup setup)
    {
        if (setup.Networks.Count == 0) return;
        // netavark needs a netns path even when the namespace is gone: it then only drops the
        // host side (firewall rules, DNS entries); an existing empty file stands in for it.
        string netns = setup.NetnsPath;
        bool placeholder = false;
        if (!File.Exists(netns))
        {
            netns = Path.Combine(layout.NetavarkConfig, "gone-" + setup.ContainerId);
            File.WriteAllBytes(netns, []);
            placeholder = true;
        }
        try
        {
            using FileLock guard = Lock();
            Run("teardown", netns, NetavarkJson.Options(setup));
        }
        finally
        {
            if (placeholder) File.Delete(netns);
        }
    }

    /// <summary>The network's bridge and rules, kept since its first container, go; then aardvark-dns's file of it.</summary>
    public void Remove(NetworkDefinition network)
    {
        if (BridgeKeeper.Applies(network))
        {
            using FileLock guard = Lock();
            Keeper.Retire(network, standIn => Run("teardown", standIn.NetnsPath, NetavarkJson.Options(standIn)));
        }
        string dns = Path.Combine(layout.NetavarkConfig, "aardvark-dns", NetavarkJson.WireName(network));
        if (File.Exists(dns)) File.Delete(dns);
    }

    private BridgeKeeper Keeper => new(layout.NetavarkConfig);

    private FileLock Lock()
    {
        Directory.CreateDirectory(layout.NetavarkConfig);
        return FileLock.Exclusive(Path.Combine(layout.NetavarkConfig, "netavark.lock"));
    }

    /// <summary>One netavark call; the caller holds <see cref="Lock"/>.</summary>
    private string Run(string verb, string netns, byte[] input)
    {
        string scratch = Path.Combine(layout.NetavarkConfig, $".{verb}-{System.Environment.ProcessId}-{Guid.NewGuid():N}");
        string inputFile = scratch + ".json", outputFile = scratch + ".out";
        try
        {
            File.WriteAllBytes(inputFile, input);
            // Output goes to a file, not a pipe: the aardvark-dns daemon that setup may start
            // inherits netavark's stdout and would hold a pipe open for as long as it lives.
            string[] args = [config.NetavarkPath, "--config", layout.NetavarkConfig, "--aardvark-binary", config.AardvarkDnsPath, "--file", inputFile, verb, netns];
            int pid = ProcessSpawner.Spawn(config.NetavarkPath, args, ChildEnvironment(), [], outputFile);
            int status = ProcessSpawner.Wait(pid);
            string output = File.Exists(outputFile) ? File.ReadAllText(outputFile) : "";
            if (status != 0) throw new EngineException($"netavark {verb}: {NetavarkJson.Error(output)}");
            return output;
        }
        finally
        {
            File.Delete(inputFile);
            File.Delete(outputFile);
        }
    }

    private static string[] ChildEnvironment()
    {
        string path = System.Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        return [$"PATH={path}"];
    }
}
