using Skiff.Linux;
using static Skiff.Linux.FileFlags;

namespace Skiff.Runtime.Mounts;

/// <summary>
/// runc's "tmpcopyup": what the image had at a tmpfs mount's destination is copied into the new
/// tmpfs (Podman's --read-only gives /run, /tmp, /var/tmp this way). The child has mounted the
/// tmpfs and holds two handles, the directory now hidden under it and the tmpfs's root; the
/// parent copies between them through /proc/PID/fd/N, which reaches into the child's mount
/// namespace. Files, directories, symlinks and device nodes keep their mode, owner and times;
/// symlinks are copied as links, never followed.
/// </summary>
public static unsafe class TmpCopyUp
{
    public static void Copy(string source, string target)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(source))
            CopyEntry(entry, Path.Combine(target, Path.GetFileName(entry)));
        CopyAttributes(source, target, Lstat(source));
    }

    private static void CopyEntry(string source, string target)
    {
        Interop.StatBuffer stat = Lstat(source);
        uint type = stat.Mode & S_IFMT;
        if (type == S_IFDIR)
        {
            Check(Interop.Libc.MkdirAt(AT_FDCWD, target, 0x1C0), "mkdir", target);
            foreach (string entry in Directory.EnumerateFileSystemEntries(source))
                CopyEntry(entry, Path.Combine(target, Path.GetFileName(entry)));
        }
        else if (type == S_IFREG)
        {
            using (var from = new FileStream(source, FileMode.Open, FileAccess.Read))
            using (var to = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
                from.CopyTo(to);
        }
        else if (type == S_IFLNK)
        {
            string link = new FileInfo(source).LinkTarget ?? throw new IOException($"readlink {source}");
            Check(Interop.Libc.SymlinkAt(link, AT_FDCWD, target), "symlink", target);
        }
        else if (type is S_IFCHR or S_IFBLK or S_IFIFO)
        {
            Check(Interop.Libc.MknodAt(AT_FDCWD, target, (int)stat.Mode, stat.RDevice), "mknod", target);
        }
        else return; // sockets belong to a process, not to an image
        CopyAttributes(source, target, stat);
    }

    private static void CopyAttributes(string source, string target, Interop.StatBuffer stat)
    {
        Check(Interop.Libc.FchownAt(AT_FDCWD, target, (int)stat.Uid, (int)stat.Gid, AT_SYMLINK_NOFOLLOW), "chown", target);
        if ((stat.Mode & S_IFMT) != S_IFLNK)
            Check(Interop.Libc.FchmodAt(AT_FDCWD, target, (int)(stat.Mode & 0xFFF), 0), "chmod", target);
        Interop.TimeSpec* times = stackalloc Interop.TimeSpec[2];
        times[0] = stat.AccessTime;
        times[1] = stat.ModifyTime;
        Check(Interop.Libc.UtimensAt(AT_FDCWD, target, times, AT_SYMLINK_NOFOLLOW), "utimensat", target);
    }

    private static Interop.StatBuffer Lstat(string path)
    {
        Check(Interop.Libc.FstatAt(AT_FDCWD, path, out Interop.StatBuffer stat, AT_SYMLINK_NOFOLLOW), "lstat", path);
        return stat;
    }

    private static void Check(int result, string call, string path)
    {
        if (result != 0) throw new SystemCallException($"{call} {path}", Errno.Last);
    }
}
