using System.Runtime.InteropServices;

namespace Skiff.Linux;

/// <summary>
/// mount(2) for parent-side code, and the new mount API (fsopen/fsconfig/fsmount/move_mount) for
/// overlays whose option string would not fit in mount(2)'s one page.
/// </summary>
public static unsafe partial class Interop
{
    public static partial class Libc
    {
        [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int Mount(string? source, string target, string? fsType, ulong flags, string? data);

        [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int Umount2(string target, int flags);

        public static int FsOpen(string fsName, uint flags)
        {
            fixed (byte* name = Utf8Z(fsName))
                return (int)Syscall(Skiff.Linux.Syscall.Fsopen, (long)name, flags, 0, 0, 0, 0);
        }

        public static int FsConfigString(int fsFd, string key, string value)
        {
            fixed (byte* k = Utf8Z(key))
            fixed (byte* v = Utf8Z(value))
                return (int)Syscall(Skiff.Linux.Syscall.Fsconfig, fsFd, MountApi.FSCONFIG_SET_STRING, (long)k, (long)v, 0, 0);
        }

        public static int FsConfigCreate(int fsFd) =>
            (int)Syscall(Skiff.Linux.Syscall.Fsconfig, fsFd, MountApi.FSCONFIG_CMD_CREATE, 0, 0, 0, 0);

        public static int FsMount(int fsFd, uint flags, uint attributes) =>
            (int)Syscall(Skiff.Linux.Syscall.Fsmount, fsFd, flags, attributes, 0, 0, 0);

        public static int MoveMount(int fromFd, string fromPath, int toDirFd, string toPath, uint flags)
        {
            fixed (byte* from = Utf8Z(fromPath))
            fixed (byte* to = Utf8Z(toPath))
                return (int)Syscall(Skiff.Linux.Syscall.MoveMount, fromFd, (long)from, toDirFd, (long)to, flags, 0);
        }

        private static byte[] Utf8Z(string text)
        {
            byte[] bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
            System.Text.Encoding.UTF8.GetBytes(text, bytes);
            return bytes;
        }
    }
}

/// <summary>Constants of the mount calls (linux/mount.h).</summary>
public static class MountApi
{
    public const int FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    public const uint FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, MOVE_MOUNT_F_EMPTY_PATH = 4;
    public const uint MOUNT_ATTR_RDONLY = 1;
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_BIND = 4096, MS_REC = 16384;
    public const int MNT_DETACH = 2;
}
