using Skiff.Linux;

namespace Skiff.Images.Fs;

/// <summary>
/// Path resolution that cannot leave a root directory: openat2 with RESOLVE_IN_ROOT makes "..",
/// absolute symlinks and relative symlinks all resolve as if the root were "/", and the *at calls
/// then act on a final name inside a directory fd without following it.
/// </summary>
public static class ScopedFs
{
    public const ulong InRoot = FileFlags.RESOLVE_IN_ROOT | FileFlags.RESOLVE_NO_MAGICLINKS | FileFlags.RESOLVE_NO_XDEV;
    public const ulong Exact = FileFlags.RESOLVE_BENEATH | FileFlags.RESOLVE_NO_SYMLINKS | FileFlags.RESOLVE_NO_XDEV;

    public static UnixFd OpenDirectory(string path)
    {
        int fd = Interop.Libc.Open(path, FileFlags.O_RDONLY | FileFlags.O_DIRECTORY | FileFlags.O_CLOEXEC, 0);
        if (fd < 0) throw new ImageException($"open {path}: {Errno.Describe(Errno.Last)}");
        return new UnixFd(fd);
    }

    /// <summary>The fd, or minus errno.</summary>
    public static int TryOpen(int rootFd, string relative, int flags, ulong resolve)
    {
        int fd = Interop.Libc.OpenAt2(rootFd, relative.Length == 0 ? "." : relative, (ulong)(flags | FileFlags.O_CLOEXEC), 0, resolve);
        return fd >= 0 ? fd : -Errno.Last;
    }

    public static bool TryStat(int dirFd, string name, out Interop.StatBuffer stat)
    {
        if (Interop.Libc.FstatAt(dirFd, name, out stat, FileFlags.AT_SYMLINK_NOFOLLOW) == 0) return true;
        int errno = Errno.Last;
        if (errno is Errno.ENOENT) return false;
        throw new ImageException($"stat {name}: {Errno.Describe(errno)}");
    }

    /// <summary>rm -rf of <paramref name="name"/> inside <paramref name="parentFd"/>, never following a symlink.</summary>
    public static void RemoveTree(int parentFd, string name)
    {
        if (!TryStat(parentFd, name, out Interop.StatBuffer stat)) return;
        if (stat.IsDirectory)
        {
            int fd = Interop.Libc.OpenAt(parentFd, name, FileFlags.O_RDONLY | FileFlags.O_DIRECTORY | FileFlags.O_NOFOLLOW | FileFlags.O_CLOEXEC, 0);
            if (fd < 0) throw new ImageException($"remove {name}: {Errno.Describe(Errno.Last)}");
            using (UnixFd dir = new(fd))
            {
                foreach (string child in ListNames(dir))
                    RemoveTree(dir.Value, child);
            }
            if (Interop.Libc.UnlinkAt(parentFd, name, FileFlags.AT_REMOVEDIR) != 0)
                throw new ImageException($"remove {name}: {Errno.Describe(Errno.Last)}");
        }
        else if (Interop.Libc.UnlinkAt(parentFd, name, 0) != 0)
        {
            throw new ImageException($"remove {name}: {Errno.Describe(Errno.Last)}");
        }
    }

    /// <summary>rm -rf of an absolute path, whose last component is not followed if it is a symlink.</summary>
    public static void RemoveTree(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string? parent = Path.GetDirectoryName(full);
        if (parent is null) throw new ImageException($"remove {path}: refusing to remove /");
        int fd = Interop.Libc.Open(parent, FileFlags.O_PATH | FileFlags.O_DIRECTORY | FileFlags.O_CLOEXEC, 0);
        if (fd < 0)
        {
            if (Errno.Last == Errno.ENOENT) return;
            throw new ImageException($"remove {path}: {Errno.Describe(Errno.Last)}");
        }
        using UnixFd parentFd = new(fd);
        RemoveTree(parentFd.Value, Path.GetFileName(full));
    }

    /// <summary>The names in a directory (no "." or ".."), read through its fd.</summary>
    public static List<string> ListNames(UnixFd directory)
    {
        List<string> names = [];
        foreach (string entry in Directory.EnumerateFileSystemEntries(directory.ProcPath))
            names.Add(Path.GetFileName(entry));
        return names;
    }
}
