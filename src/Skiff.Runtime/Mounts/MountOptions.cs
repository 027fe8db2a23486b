using static Skiff.Linux.Kernel;

namespace Skiff.Runtime.Mounts;

/// <summary>An OCI mount's options, parsed the way mount(8) and runc read them.</summary>
public sealed record ParsedMountOptions(
    long Flags,
    long Propagation,
    long RecursiveAttrSet,
    bool Bind,
    bool Recursive,
    string? Data)
{
    /// <summary>runc's "tmpcopyup": a tmpfs starts with what the image had at its destination.</summary>
    public bool CopyUp { get; init; }

    /// <summary>Flags that a bind mount only takes through a second, remounting call.</summary>
    public long RemountFlags => Flags & ~(MS_REC | MS_BIND | MS_REMOUNT);
}

public static class MountOptions
{
    private static readonly Dictionary<string, (bool Clear, long Flag)> FlagOptions = new()
    {
        ["async"] = (true, MS_SYNCHRONOUS), ["sync"] = (false, MS_SYNCHRONOUS),
        ["atime"] = (true, MS_NOATIME), ["noatime"] = (false, MS_NOATIME),
        ["defaults"] = (false, 0),
        ["dev"] = (true, MS_NODEV), ["nodev"] = (false, MS_NODEV),
        ["diratime"] = (true, MS_NODIRATIME), ["nodiratime"] = (false, MS_NODIRATIME),
        ["dirsync"] = (false, MS_DIRSYNC),
        ["exec"] = (true, MS_NOEXEC), ["noexec"] = (false, MS_NOEXEC),
        ["mand"] = (false, MS_MANDLOCK), ["nomand"] = (true, MS_MANDLOCK),
        ["relatime"] = (false, MS_RELATIME), ["norelatime"] = (true, MS_RELATIME),
        ["strictatime"] = (false, MS_STRICTATIME), ["nostrictatime"] = (true, MS_STRICTATIME),
        ["lazytime"] = (false, MS_LAZYTIME), ["nolazytime"] = (true, MS_LAZYTIME),
        ["ro"] = (false, MS_RDONLY), ["rw"] = (true, MS_RDONLY),
        ["suid"] = (true, MS_NOSUID), ["nosuid"] = (false, MS_NOSUID),
        ["symfollow"] = (true, MS_NOSYMFOLLOW), ["nosymfollow"] = (false, MS_NOSYMFOLLOW),
        ["silent"] = (false, MS_SILENT), ["loud"] = (true, MS_SILENT),
        ["remount"] = (false, MS_REMOUNT),
        ["bind"] = (false, MS_BIND), ["rbind"] = (false, MS_BIND | MS_REC),
    };

    private static readonly Dictionary<string, long> PropagationOptions = new()
    {
        ["private"] = MS_PRIVATE, ["rprivate"] = MS_PRIVATE | MS_REC,
        ["shared"] = MS_SHARED, ["rshared"] = MS_SHARED | MS_REC,
        ["slave"] = MS_SLAVE, ["rslave"] = MS_SLAVE | MS_REC,
        ["unbindable"] = MS_UNBINDABLE, ["runbindable"] = MS_UNBINDABLE | MS_REC,
    };

    /// <summary>Recursive mount attributes (mount_setattr with AT_RECURSIVE), runc's "r" options.</summary>
    private static readonly Dictionary<string, long> RecursiveOptions = new()
    {
        ["rro"] = MOUNT_ATTR_RDONLY, ["rnosuid"] = MOUNT_ATTR_NOSUID, ["rnodev"] = MOUNT_ATTR_NODEV,
        ["rnoexec"] = MOUNT_ATTR_NOEXEC, ["rnoatime"] = MOUNT_ATTR_NOATIME, ["rstrictatime"] = MOUNT_ATTR_STRICTATIME,
        ["rnodiratime"] = MOUNT_ATTR_NODIRATIME, ["rnosymfollow"] = MOUNT_ATTR_NOSYMFOLLOW,
        ["rrelatime"] = MOUNT_ATTR_RELATIME,
    };

    /// <summary>Options that need features skiff does not have; refused rather than silently dropped.</summary>
    private static readonly HashSet<string> Unsupported = ["idmap", "ridmap", "rrw", "rsuid", "rdev", "rexec", "ratime", "rdiratime", "rsymfollow", "rnorelatime", "rnostrictatime"];

    public static IReadOnlyCollection<string> Known { get; } =
        FlagOptions.Keys.Concat(PropagationOptions.Keys).Concat(RecursiveOptions.Keys).Append("tmpcopyup").Order(StringComparer.Ordinal).ToArray();

    public static ParsedMountOptions Parse(IEnumerable<string>? options, string destination)
    {
        long flags = 0, propagation = 0, recursive = 0;
        bool copyUp = false;
        var data = new List<string>();
        foreach (string option in options ?? [])
        {
            if (option == "tmpcopyup") copyUp = true;
            else if (FlagOptions.TryGetValue(option, out var f))
            {
                if (f.Clear) flags &= ~f.Flag;
                else flags |= f.Flag;
            }
            else if (PropagationOptions.TryGetValue(option, out long p)) propagation |= p;
            else if (RecursiveOptions.TryGetValue(option, out long r)) recursive |= r;
            else if (Unsupported.Contains(option))
                throw new RuntimeException($"mount {destination}: option \"{option}\" is not supported by skiff-runc");
            else data.Add(option);
        }
        return new ParsedMountOptions(flags, propagation, recursive, (flags & MS_BIND) != 0, (flags & MS_REC) != 0,
            data.Count == 0 ? null : string.Join(',', data)) { CopyUp = copyUp };
    }

    public static long PropagationOf(string? name, string what) => name switch
    {
        null or "" => 0,
        _ when PropagationOptions.TryGetValue(name, out long p) => p,
        _ => throw new RuntimeException($"{what}: unknown propagation \"{name}\""),
    };
}
