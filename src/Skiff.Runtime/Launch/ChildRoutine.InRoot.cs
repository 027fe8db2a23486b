using static Skiff.Linux.Interop.Raw;
using static Skiff.Linux.Kernel;
using Sc = Skiff.Linux.Syscall;

namespace Skiff.Runtime.Launch;

/// <summary>The child's in-root resolution: every path the child touches inside the rootfs is opened beneath the root handle with openat2(RESOLVE_IN_ROOT), never by a path the container could redirect. Same rules as <see cref="ChildRoutine"/>: stack buffers and raw system calls only.</summary>
internal static unsafe partial class ChildRoutine
{
    /// <summary>rw-r--r--: an empty file made to receive a bind.</summary>
    private const int NewFileMode = 0b110_100_100;

    /// <summary>rwxr-xr-x: a missing directory on the way to a target.</summary>
    private const int NewDirectoryMode = 0b111_101_101;

    /// <summary>Writes "/proc/self/fd/N": the magic link through which a mount lands on an fd.</summary>
    private static void FdPath(byte* buffer, int fd)
    {
        ReadOnlySpan<byte> prefix = "/proc/self/fd/"u8;
        int n = 0;
        for (; n < prefix.Length; n++) buffer[n] = prefix[n];
        byte* digits = stackalloc byte[12];
        int count = 0;
        do { digits[count++] = (byte)('0' + fd % 10); fd /= 10; } while (fd > 0);
        while (count > 0) buffer[n++] = digits[--count];
        buffer[n] = 0;
    }
    private static long OpenInRoot(int root, byte* relative, long flags, long resolve = 0)
    {
        ulong* how = stackalloc ulong[3];
        how[0] = (ulong)(flags | O_CLOEXEC);
        how[1] = 0;
        how[2] = (ulong)(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve);
        return Sys(Sc.Openat2, root, (long)relative, (long)how, 24);
    }
    /// <summary>
    /// Opens a path inside the root without ever leaving it (RESOLVE_IN_ROOT: "..", absolute
    /// symlinks and the like are resolved as if root were "/"), creating missing directories and,
    /// with <see cref="PathCreate.File"/>, the last component as an empty file (CVE-2021-30465, CVE-2024-45310).
    /// </summary>
    private static long ResolveInRoot(int root, byte* relative, PathCreate create, byte* buffer, long resolve = 0)
    {
        long fd = OpenInRoot(root, relative, O_PATH, resolve);
        if (fd != -Skiff.Linux.Errno.ENOENT || create == PathCreate.Nothing) return fd;

        int length = 0;
        while (relative[length] != 0 && length < PathMax - 1) { buffer[length] = relative[length]; length++; }
        if (relative[length] != 0) return -Skiff.Linux.Errno.ENAMETOOLONG;
        buffer[length] = 0;
        long parent = Sys(Sc.Fcntl, root, F_DUPFD_CLOEXEC, 0);
        if (parent < 0) return parent;
        int start = 0;
        while (start < length)
        {
            while (start < length && buffer[start] == '/') start++;
            if (start >= length) break;
            int end = start;
            while (end < length && buffer[end] != '/') end++;
            bool last = end == length;
            buffer[end] = 0;
            byte* name = buffer + start;
            long r;
            if (last && create == PathCreate.File)
            {
                r = Sys(Sc.Openat, parent, (long)name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, NewFileMode);
                if (r >= 0) Sys(Sc.Close, r);
                else if (r == -Skiff.Linux.Errno.EEXIST || r == -Skiff.Linux.Errno.ELOOP) r = 0;
            }
            else
            {
                r = Sys(Sc.Mkdirat, parent, (long)name, NewDirectoryMode);
                if (r == -Skiff.Linux.Errno.EEXIST) r = 0;
            }
            if (r < 0) { Sys(Sc.Close, parent); return r; }
            // Re-resolve the prefix through the root so a symlink in the image cannot lead outside.
            long next = OpenInRoot(root, buffer, last ? O_PATH : O_PATH | O_DIRECTORY, resolve);
            if (!last) buffer[end] = (byte)'/';
            Sys(Sc.Close, parent);
            if (next < 0) return next;
            parent = next;
            start = end + 1;
        }
        return parent;
    }
    /// <summary>
    /// Splits "a/b/name": opens the directory "a/b" in root (creating it) and returns where name
    /// starts. buffer holds 2 * PathMax bytes: the directory in the upper half, ResolveInRoot's
    /// scratch copy in the lower.
    /// </summary>
    private static long ResolveParentInRoot(int root, byte* relative, byte* buffer, byte** name)
    {
        int length = 0;
        int slash = -1;
        while (relative[length] != 0 && length < PathMax - 1)
        {
            if (relative[length] == '/') slash = length;
            length++;
        }
        if (relative[length] != 0) return -Skiff.Linux.Errno.ENAMETOOLONG;
        *name = relative + slash + 1;
        if (slash <= 0) return Sys(Sc.Fcntl, root, F_DUPFD_CLOEXEC, 0);
        byte* directory = buffer + PathMax;
        for (int i = 0; i < slash; i++) directory[i] = relative[i];
        directory[slash] = 0;
        return ResolveInRoot(root, directory, PathCreate.Directory, buffer);
    }
}
