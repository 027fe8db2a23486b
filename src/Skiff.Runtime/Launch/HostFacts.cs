namespace Skiff.Runtime.Launch;

/// <summary>
/// What the planner needs to know about the host rather than the config, gathered once before
/// planning (<see cref="HostProbe"/>) and passed in, so a plan depends on its inputs alone and a
/// test can name any host.
/// </summary>
/// <param name="Resctrl">The resctrl filesystem is mounted (linux.intelRdt can be honoured).</param>
public sealed record HostFacts(bool Resctrl)
{
    /// <summary>The security modules the host enforces: what a process's label is checked against.</summary>
    public HostSecurityModules Lsm { get; init; } = HostSecurityModules.None;

    /// <summary>The highest capability the kernel knows (/proc/sys/kernel/cap_last_cap); by default the last one skiff knows by name.</summary>
    public int LastCapability { get; init; } = Skiff.Linux.Capability.Names.Count - 1;

    /// <summary>A host with nothing optional: no resctrl, no LSM, every capability skiff knows.</summary>
    public static HostFacts None { get; } = new(Resctrl: false);
}

/// <summary>Which Linux security modules the host enforces.</summary>
public sealed record HostSecurityModules(bool AppArmor, bool Selinux)
{
    public static HostSecurityModules None { get; } = new(AppArmor: false, Selinux: false);
}

/// <summary>What a bind source is on the host.</summary>
public enum SourceKind
{
    Missing,
    Directory,
    /// <summary>Anything but a directory: a file, a device, a socket (the target is made as an empty file).</summary>
    File,
}

/// <summary>A bind source as the host shows it.</summary>
/// <param name="OnProcfs">It lies on a procfs: the one kind of source a bind over /proc itself may have.</param>
public sealed record BindSource(SourceKind Kind, bool OnProcfs = false);

/// <summary>
/// What the host's and the rootfs's files say about the paths one config names, gathered before
/// planning (<see cref="HostProbe.PathsFor"/>) like <see cref="HostFacts"/>. Whatever is not
/// listed does not exist: a bind source not in <see cref="BindSources"/> is missing.
/// </summary>
public sealed record PathFacts
{
    /// <summary>Every bind mount's source, by its absolute host path (a relative one is joined to the bundle).</summary>
    public IReadOnlyDictionary<string, BindSource> BindSources { get; init; } = new Dictionary<string, BindSource>();

    /// <summary>
    /// Destinations of proc and sysfs mounts (as the config spells them) whose way into the rootfs
    /// passes a symlink or something that is not a directory: procfs and sysfs go only onto an
    /// ordinary directory.
    /// </summary>
    public IReadOnlySet<string> IrregularProcDestinations { get; init; } = new HashSet<string>();

    /// <summary>
    /// Config paths (mount destinations, the cwd) whose way in the rootfs passes a symlink, with
    /// where that leads, relative to the rootfs (<see cref="Mounts.RootfsPath.Resolve"/>). A path not
    /// listed has no symlink on its way and leads where it is spelled (<see cref="Mounts.RootfsPath.Clean"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> Resolved { get; init; } = new Dictionary<string, string>();

    /// <summary>Config paths whose way loops through symlinks (more than the kernel would follow).</summary>
    public IReadOnlySet<string> Unresolvable { get; init; } = new HashSet<string>();

    /// <summary>Where a config path leads inside the rootfs, relative to it.</summary>
    public string InRoot(string path) =>
        Unresolvable.Contains(path) ? throw Mounts.RootfsPath.TooManyLinks(path)
        : Resolved.TryGetValue(path, out string? resolved) ? resolved
        : Mounts.RootfsPath.Clean(path);

    /// <summary>The container's /etc/passwd (resolved in its root), read only when process.env has no HOME; null without one.</summary>
    public string? Passwd { get; init; }

    public static PathFacts None { get; } = new();

    /// <summary>The host path a bind mount's source names: relative sources lie in the bundle.</summary>
    public static string BindSourcePath(string source, string bundleDir) => Path.IsPathRooted(source) ? source : Path.Combine(bundleDir, source);
}
