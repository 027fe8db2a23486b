using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Images.Mounts;

/// <summary>
/// An overlayfs mount of an image's snapshots: lower directories topmost first (overlayfs's own
/// order), and for a container an upper and work directory. The engine mounts it as the rootfs,
/// or hands <see cref="ToOciMount"/> to a runtime.
/// </summary>
public sealed record OverlayMount(IReadOnlyList<string> LowerDirectories, string? UpperDirectory = null, string? WorkDirectory = null)
{
    /// <summary>mount(2) takes one page of options; longer stacks go through fsconfig one layer at a time.</summary>
    private const int MountDataLimit = 4095;

    /// <summary>
    /// Off whatever the host's module defaults say: layers come from registries, and a redirect or
    /// metacopy xattr crafted in one would make overlayfs look up a path or take file data the
    /// layer does not hold. Copy-up then copies whole files, and a directory renamed out of a lower
    /// layer fails with EXDEV, which rename's callers (mv) answer by copying.
    /// </summary>
    private static readonly KeyValuePair<string, string>[] UntrustedLayerOptions = [new("redirect_dir", "off"), new("metacopy", "off")];

    public bool ReadOnly => UpperDirectory is null;

    public IReadOnlyList<string> Options
    {
        get
        {
            List<string> options = [$"lowerdir={string.Join(':', LowerDirectories.Select(Escape))}"];
            if (UpperDirectory is not null) options.Add($"upperdir={Escape(UpperDirectory)}");
            if (WorkDirectory is not null) options.Add($"workdir={Escape(WorkDirectory)}");
            // No inode index: snapshots are shared between many overlays, and index=on would tie
            // each lower directory to the first overlay that used it.
            options.Add("index=off");
            options.AddRange(UntrustedLayerOptions.Select(o => $"{o.Key}={o.Value}"));
            return options;
        }
    }

    /// <summary>The mount for a runtime's config.json ("type": "overlay").</summary>
    public Skiff.Oci.Runtime.Mount ToOciMount(string destination) => new()
    {
        Destination = destination,
        Type = "overlay",
        Source = "overlay",
        Options = [.. Options],
    };

    /// <summary>Mounts the overlay on <paramref name="target"/> (which must exist).</summary>
    public void Mount(string target)
    {
        if (LowerDirectories.Count == 0) throw new ImageException("overlay mount: no lower directories");
        if (ReadOnly && LowerDirectories.Count == 1)
        {
            // overlayfs wants two lowers without an upper; one layer read-only is just a bind.
            BindReadOnly(LowerDirectories[0], target);
            return;
        }
        string data = string.Join(',', Options);
        ulong flags = ReadOnly ? MountApi.MS_RDONLY : 0;
        if (data.Length <= MountDataLimit)
        {
            if (Interop.Libc.Mount("overlay", target, "overlay", flags, data) != 0)
                throw new ImageException($"mount overlay on {target}: {Errno.Describe(Errno.Last)}");
            return;
        }
        MountLayerByLayer(target);
    }

    public static void Unmount(string target)
    {
        if (Interop.Libc.Umount2(target, MountApi.MNT_DETACH) != 0 && Errno.Last != Errno.EINVAL)
            throw new ImageException($"unmount {target}: {Errno.Describe(Errno.Last)}");
    }

    private void MountLayerByLayer(string target)
    {
        int fs = Interop.Libc.FsOpen("overlay", MountApi.FSOPEN_CLOEXEC);
        if (fs < 0) throw new ImageException($"mount overlay on {target}: fsopen: {Errno.Describe(Errno.Last)}");
        using UnixFd context = new(fs);
        // "lowerdir+" (Linux 6.8) appends one layer per call, with no length limit and no escaping.
        foreach (string lower in LowerDirectories) Config(context, "lowerdir+", lower, target);
        if (UpperDirectory is not null) Config(context, "upperdir", UpperDirectory, target);
        if (WorkDirectory is not null) Config(context, "workdir", WorkDirectory, target);
        Config(context, "index", "off", target);
        foreach ((string key, string value) in UntrustedLayerOptions) Config(context, key, value, target);
        if (Interop.Libc.FsConfigCreate(context.Value) < 0)
            throw new ImageException($"mount overlay on {target}: {Errno.Describe(Errno.Last)}");
        int mount = Interop.Libc.FsMount(context.Value, MountApi.FSMOUNT_CLOEXEC, ReadOnly ? MountApi.MOUNT_ATTR_RDONLY : 0);
        if (mount < 0) throw new ImageException($"mount overlay on {target}: fsmount: {Errno.Describe(Errno.Last)}");
        using UnixFd mounted = new(mount);
        if (Interop.Libc.MoveMount(mounted.Value, "", FileFlags.AT_FDCWD, target, MountApi.MOVE_MOUNT_F_EMPTY_PATH) < 0)
            throw new ImageException($"mount overlay on {target}: move_mount: {Errno.Describe(Errno.Last)}");
    }

    private static void Config(UnixFd context, string key, string value, string target)
    {
        if (Interop.Libc.FsConfigString(context.Value, key, value) < 0)
            throw new ImageException($"mount overlay on {target}: {key}={value}: {Errno.Describe(Errno.Last)}");
    }

    private static void BindReadOnly(string source, string target)
    {
        if (Interop.Libc.Mount(source, target, null, MountApi.MS_BIND, null) != 0)
            throw new ImageException($"bind {source} on {target}: {Errno.Describe(Errno.Last)}");
        if (Interop.Libc.Mount(null, target, null, MountApi.MS_BIND | MountApi.MS_RDONLY | 0x20 /* MS_REMOUNT */, null) != 0)
        {
            int errno = Errno.Last;
            Interop.Libc.Umount2(target, MountApi.MNT_DETACH);
            throw new ImageException($"remount {target} read-only: {Errno.Describe(errno)}");
        }
    }

    /// <summary>overlayfs splits options on ',' and lowerdir on ':'; both are escaped with '\'.</summary>
    private static string Escape(string path) => path.Replace("\\", "\\\\").Replace(":", "\\:").Replace(",", "\\,");
}
