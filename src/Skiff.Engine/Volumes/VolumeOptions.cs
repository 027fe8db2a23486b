using Skiff.Linux;

namespace Skiff.Engine.Volumes;

/// <summary>
/// The local driver's options, as Docker's: <c>type</c> (a file system type, or <c>none</c> with
/// <c>o=bind</c>), <c>device</c> (what to mount) and <c>o</c> (mount(8) options). A volume with
/// options is mounted on its <c>_data</c> directory while a container uses it (tmpfs contents last
/// as long as that); one without is a plain directory.
/// </summary>
public static class VolumeOptions
{
    private static readonly string[] Known = ["type", "device", "o", "size"];

    /// <summary>Docker's checks (known keys, and each key's companions), worded as dockerd words them.</summary>
    public static void Validate(string name, IReadOnlyDictionary<string, string> options)
    {
        if (options.Count == 0) return;
        foreach (string key in options.Keys.Order(StringComparer.Ordinal))
            if (!Known.Contains(key)) throw new EngineException($"create {name}: invalid option: \"{key}\"");
        if (options.ContainsKey("size")) throw new EngineException($"create {name}: quota size requested but no quota support");
        (string key, string[] needs)[] mandatory = [("device", ["type"]), ("type", ["device"]), ("o", ["device", "type"])];
        foreach ((string key, string[] needs) in mandatory)
            if (options.ContainsKey(key))
                foreach (string need in needs)
                    if (!options.ContainsKey(need)) throw new EngineException($"create {name}: missing required option: \"{need}\"");
        string type = options["type"];
        if (type.Length == 0) throw new EngineException($"create {name}: invalid option: \"type\" must not be empty");
        (ulong flags, _) = Parse(options.GetValueOrDefault("o", ""));
        bool bind = (flags & MountApi.MS_BIND) != 0;
        if (type == "none" && !bind) throw new EngineException($"create {name}: invalid option: type \"none\" needs o=bind");
        if (bind && !options["device"].StartsWith('/'))
            throw new EngineException($"create {name}: invalid option: device \"{options["device"]}\" must be an absolute path for a bind mount");
    }

    /// <summary>KEY=VALUE strings (<c>-o</c>, <c>volume-opt=</c>) as a map; a string without '=' is refused.</summary>
    public static Dictionary<string, string> FromPairs(IEnumerable<string> pairs, string flag)
    {
        Dictionary<string, string> map = new(StringComparer.Ordinal);
        foreach (string pair in pairs)
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0) throw new EngineException($"invalid argument \"{pair}\" for \"{flag}\" flag: expected KEY=VALUE");
            map[pair[..equals]] = pair[(equals + 1)..];
        }
        return map;
    }

    /// <summary>Mounts the volume's device on <paramref name="target"/> as its options say.</summary>
    public static void Mount(string name, IReadOnlyDictionary<string, string> options, string target)
    {
        string device = options["device"];
        string type = options["type"];
        (ulong flags, string data) = Parse(options.GetValueOrDefault("o", ""));
        const ulong Remount = 32;
        ulong propagationAndBind = MountApi.MS_BIND | MountApi.MS_REC;
        int result;
        if ((flags & MountApi.MS_BIND) != 0)
        {
            // A bind takes its flags only from a remount of the new mount.
            result = Interop.Libc.Mount(device, target, null, flags & propagationAndBind, null);
            if (result == 0 && (flags & ~propagationAndBind) != 0)
            {
                result = Interop.Libc.Mount(null, target, null, (flags & ~MountApi.MS_REC) | Remount, null);
                if (result != 0)
                {
                    int errno = Errno.Last;
                    Interop.Libc.Umount2(target, MountApi.MNT_DETACH);
                    throw Failed(name, device, target, errno);
                }
            }
        }
        else
        {
            result = Interop.Libc.Mount(device, target, type, flags, data.Length > 0 ? data : null);
        }
        if (result != 0) throw Failed(name, device, target, Errno.Last);
    }

    private static EngineException Failed(string name, string device, string target, int errno) =>
        new($"error while mounting volume '{target}': failed to mount local volume {name}: mount {device}:{target}: {Errno.Describe(errno)}");

    /// <summary>Unmounts everything stacked on <paramref name="target"/>.</summary>
    public static void Unmount(string target)
    {
        for (int i = 0; i < 16; i++)
        {
            if (Interop.Libc.Umount2(target, MountApi.MNT_DETACH) == 0) continue;
            int errno = Errno.Last;
            if (errno is Errno.EINVAL or Errno.ENOENT) return;
            throw new EngineException($"unmount {target}: {Errno.Describe(errno)}");
        }
    }

    /// <summary>mount(8)'s option words: the ones that are flags become flags, the rest the file system's data (Go's mount.ParseOptions).</summary>
    public static (ulong Flags, string Data) Parse(string options)
    {
        ulong flags = 0;
        List<string> data = [];
        foreach (string option in options.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            (bool clear, ulong flag) = option switch
            {
                "defaults" => (false, 0UL),
                "ro" => (false, MountApi.MS_RDONLY),
                "rw" => (true, MountApi.MS_RDONLY),
                "suid" => (true, MountApi.MS_NOSUID),
                "nosuid" => (false, MountApi.MS_NOSUID),
                "dev" => (true, MountApi.MS_NODEV),
                "nodev" => (false, MountApi.MS_NODEV),
                "exec" => (true, 8UL),
                "noexec" => (false, 8UL),
                "sync" => (false, 16UL),
                "async" => (true, 16UL),
                "dirsync" => (false, 128UL),
                "mand" => (false, 64UL),
                "nomand" => (true, 64UL),
                "atime" => (true, 1024UL),
                "noatime" => (false, 1024UL),
                "diratime" => (true, 2048UL),
                "nodiratime" => (false, 2048UL),
                "bind" => (false, MountApi.MS_BIND),
                "rbind" => (false, MountApi.MS_BIND | MountApi.MS_REC),
                "relatime" => (false, 1UL << 21),
                "norelatime" => (true, 1UL << 21),
                "strictatime" => (false, 1UL << 24),
                "nostrictatime" => (true, 1UL << 24),
                _ => (false, ulong.MaxValue),
            };
            if (flag == ulong.MaxValue) data.Add(option);
            else if (clear) flags &= ~flag;
            else flags |= flag;
        }
        return (flags, string.Join(',', data));
    }
}
