namespace Skiff.Linux;

/// <summary>
/// The kind of file system a path lies on (statfs(2)'s f_type). One system call answers what
/// a walk of the whole mount table would: whether a bind-mounted namespace file is still mounted
/// (nsfs), whether a path is on procfs.
/// </summary>
public static class FileSystemType
{
    /// <summary>The magic number of the file system holding path (symlinks followed), or null when it cannot be asked.</summary>
    public static unsafe long? Of(string path)
    {
        if (path.Length == 0 || path.Contains('\0')) return null;
        byte[] name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        Interop.StatFsBuffer statfs;
        fixed (byte* p = name)
            return Interop.Libc.Syscall(Syscall.Statfs, (long)p, (long)&statfs, 0, 0, 0, 0) == 0 ? statfs.Type : null;
    }

    /// <summary>Whether path is a namespace file (nsfs): a bind-mounted namespace still mounted, or /proc/PID/ns/*.</summary>
    public static bool IsNamespaceFile(string path) => Of(path) == Kernel.NSFS_MAGIC;
}
