using System.Runtime.InteropServices;

namespace Skiff.Engine.Volumes;

/// <summary>
/// The few calls copy-up needs that <see cref="Skiff.Linux.Interop"/> does not declare: reading a
/// symlink and extended attributes through directory and file descriptors, and in-kernel copies.
/// </summary>
internal static unsafe partial class VolumeInterop
{
    [LibraryImport("libc", EntryPoint = "readlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint ReadLinkAt(int dirFd, string path, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "flistxattr", SetLastError = true)]
    public static partial nint FListXattr(int fd, byte* list, nint size);

    [LibraryImport("libc", EntryPoint = "fgetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint FGetXattr(int fd, string name, byte* value, nint size);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    public static partial nint CopyFileRange(int inFd, long* inOffset, int outFd, long* outOffset, nint length, uint flags);

    [LibraryImport("libc", EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Chmod(string path, int mode);

    public const int EOPNOTSUPP = 95, ENODATA = 61;
}
