namespace Skiff.Engine;

/// <summary>
/// Where the engine keeps things below its root (the image store's root, default /var/lib/skiff):
/// <c>engine.db</c>; <c>containers/ID/</c>, each container's bundle and everything conmon writes
/// for it (config.json, rootfs mount point, log, attach socket, control fifos, pid files);
/// <c>exits/ID</c>, conmon's exit files; <c>runtime/</c>, the OCI runtime's own --root.
/// </summary>
public sealed class EngineLayout(string root)
{
    public string Root { get; } = Path.GetFullPath(root);
    public string Database => Path.Combine(Root, "engine.db");
    public string Containers => Path.Combine(Root, "containers");
    public string Exits => Path.Combine(Root, "exits");
    public string RuntimeRoot => Path.Combine(Root, "runtime");
    public string Locks => Path.Combine(Root, "locks");

    /// <summary>Each container's network namespace, an nsfs bind-mounted on <c>netns/ID</c>.</summary>
    public string NetnsDirectory => Path.Combine(Root, "netns");
    public string Netns(string id) => Path.Combine(NetnsDirectory, id);

    /// <summary>netavark's --config directory (aardvark-dns keeps its per-network files below it).</summary>
    public string NetavarkConfig => Path.Combine(Root, "netavark");

    /// <summary>The cni backend's network configuration lists (<c>networks/</c>) and ADD results (<c>results/</c>).</summary>
    public string CniDirectory => Path.Combine(Root, "cni");

    public string Bundle(string id) => Path.Combine(Containers, id);
    public string Rootfs(string id) => Path.Combine(Bundle(id), "rootfs");
    public string LogFile(string id) => Path.Combine(Bundle(id), "ctr.log");
    public string PidFile(string id) => Path.Combine(Bundle(id), "pidfile");
    public string ConmonPidFile(string id) => Path.Combine(Bundle(id), "conmon.pid");
    public string ControlFifo(string id) => Path.Combine(Bundle(id), "ctl");
    public string ExitFile(string id) => Path.Combine(Exits, id);
    public string Lock(string id) => Path.Combine(Locks, "container-" + id);

    public void EnsureCreated()
    {
        foreach (string directory in (string[])[Root, Containers, Exits, RuntimeRoot, Locks])
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
