using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Mounts;

namespace Skiff.Runtime.Launch;

/// <summary>
/// Reads the host and the rootfs for what a launch will be planned against: the one place where
/// planning a launch looks at the system. Its answers (<see cref="HostFacts"/>, <see cref="PathFacts"/>)
/// go into the planner as data; it never refuses a config itself, since the planner names every
/// error, and it leaves out what a faulty config would make it guess at.
/// </summary>
public static class HostProbe
{
    private static readonly Lazy<HostFacts> Plain = new(() => new HostFacts(Resctrl: false) { LastCapability = Capability.LastSupported });
    private static readonly Lazy<HostSecurityModules> Lsm = new(ProbeLsm);

    /// <summary>The largest /etc/passwd read for HOME.</summary>
    private const int MaxPasswd = 4 << 20;

    /// <summary>
    /// This host's facts, each probed only when the config asks for what it decides: the LSMs for a
    /// process or mount label, resctrl for linux.intelRdt (an exec asks for neither).
    /// </summary>
    public static HostFacts HostFor(Process? process, string? mountLabel = null, bool intelRdt = false)
    {
        HostFacts facts = Plain.Value;
        if (!string.IsNullOrEmpty(process?.ApparmorProfile) || !string.IsNullOrEmpty(process?.SelinuxLabel) || !string.IsNullOrEmpty(mountLabel))
            facts = facts with { Lsm = Lsm.Value };
        if (intelRdt) facts = facts with { Resctrl = Directory.Exists("/sys/fs/resctrl/info") };
        return facts;
    }

    /// <summary>AppArmor when securityfs shows it and the module says "Y", SELinux when selinuxfs is mounted: runc's probes.</summary>
    private static HostSecurityModules ProbeLsm()
    {
        bool appArmor = Directory.Exists("/sys/kernel/security/apparmor") && ReadFirstByte("/sys/module/apparmor/parameters/enabled") == 'Y';
        bool selinux = File.Exists("/sys/fs/selinux/enforce");
        return new HostSecurityModules(appArmor, selinux);
    }

    /// <summary>What the files a container's config names are: its bind sources, its proc and sysfs destinations, its passwd.</summary>
    public static PathFacts PathsFor(Spec spec, string bundleDir, string rootfs)
    {
        var sources = new Dictionary<string, BindSource>();
        var irregular = new HashSet<string>();
        var resolved = new Dictionary<string, string>();
        var unresolvable = new HashSet<string>();
        if (spec.Process?.Cwd is { } cwd) Resolve(rootfs, cwd, resolved, unresolvable);
        foreach (Mount mount in spec.Mounts ?? [])
        {
            if (mount.Type == "cgroup" || mount.Destination is null) continue;
            ParsedMountOptions options;
            try { options = MountOptions.Parse(mount.Options, mount.Destination); }
            catch (RuntimeException) { continue; }
            if (mount.Type is "proc" or "sysfs" && !options.Bind)
            {
                if (!IsOrdinaryDirectory(rootfs, mount.Destination)) irregular.Add(mount.Destination);
            }
            else
            {
                Resolve(rootfs, mount.Destination, resolved, unresolvable);
                if ((options.Bind || mount.Type == "bind") && mount.Source is { Length: > 0 } source)
                {
                    string path = PathFacts.BindSourcePath(source, bundleDir);
                    sources[path] = Inspect(path);
                }
            }
        }
        return new PathFacts
        {
            BindSources = sources,
            IrregularProcDestinations = irregular,
            Resolved = resolved,
            Unresolvable = unresolvable,
            Passwd = spec.Process is { } process && NeedsHome(process) ? ReadPasswd(rootfs) : null,
        };
    }

    /// <summary>What an exec's process needs: the container's passwd, through the root its init sees (/proc/PID/root).</summary>
    public static PathFacts PathsForExec(Process process, string root) =>
        new() { Passwd = NeedsHome(process) ? ReadPasswd(root) : null };

    /// <summary>Records where path leads in the rootfs when a symlink on its way takes it elsewhere than it is spelled.</summary>
    private static void Resolve(string rootfs, string path, Dictionary<string, string> resolved, HashSet<string> unresolvable)
    {
        try
        {
            string target = RootfsPath.Resolve(rootfs, path);
            if (target != RootfsPath.Clean(path)) resolved[path] = target;
        }
        catch (RuntimeException) { unresolvable.Add(path); }
        // A name the kernel refuses (too long, say) is left unrecorded: the planner names it.
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException) { }
    }

    private static bool NeedsHome(Process process) => process.Env?.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal)) != true;

    private static BindSource Inspect(string path)
    {
        try
        {
            SourceKind kind = Directory.Exists(path) ? SourceKind.Directory : File.Exists(path) ? SourceKind.File : SourceKind.Missing;
            return new BindSource(kind, kind != SourceKind.Missing && IsProcfs(path));
        }
        catch (ArgumentException) { return new BindSource(SourceKind.Missing); }
    }

    /// <summary>Whether path lies on a procfs (statfs(2)'s f_type); false when it cannot be asked.</summary>
    private static bool IsProcfs(string path) => FileSystemType.Of(path) == Kernel.PROC_SUPER_MAGIC;

    /// <summary>
    /// Whether the way to destination in the rootfs passes only directories, no symlink (runc's rule
    /// for procfs and sysfs, after CVE-2019-19921); what does not exist yet counts as ordinary, since
    /// the child makes it. A way that cannot be looked at is not ordinary.
    /// </summary>
    private static bool IsOrdinaryDirectory(string rootfs, string destination)
    {
        try
        {
            string at = rootfs;
            foreach (string name in destination.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                at = Path.Combine(at, name);
                var info = new FileInfo(at);
                if (!info.Exists && !Directory.Exists(at) && info.LinkTarget is null) return true;
                if (info.LinkTarget is not null || !info.Attributes.HasFlag(FileAttributes.Directory)) return false;
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return false; }
    }

    /// <summary>The container's /etc/passwd, resolved inside its root; null without one, or one too large to be a passwd.</summary>
    private static string? ReadPasswd(string root)
    {
        try
        {
            string passwd = Path.Combine(root, RootfsPath.Resolve(root, "/etc/passwd"));
            var info = new FileInfo(passwd);
            if (!info.Exists || info.Length > MaxPasswd) return null;
            return File.ReadAllText(passwd);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RuntimeException) { return null; }
    }

    private static int ReadFirstByte(string path)
    {
        try
        {
            using FileStream file = File.OpenRead(path);
            return file.ReadByte();
        }
        catch (IOException) { return -1; }
        catch (UnauthorizedAccessException) { return -1; }
    }
}
