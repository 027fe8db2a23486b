using System.Runtime.InteropServices;

namespace Skiff.Linux;

/// <summary>
/// Directory-relative file calls (the *at family and openat2) for code that must build a tree from
/// hostile input without ever leaving it: every path is resolved against a directory fd, never
/// against the process's view of the filesystem.
/// </summary>
public static unsafe partial class Interop
{
    public static partial class Libc
    {
        [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int OpenAt(int dirFd, string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int MkdirAt(int dirFd, string path, int mode);

        [LibraryImport("libc", EntryPoint = "mknodat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int MknodAt(int dirFd, string path, int mode, ulong device);

        [LibraryImport("libc", EntryPoint = "fchownat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int FchownAt(int dirFd, string path, int uid, int gid, int flags);

        [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
        public static partial int Fchown(int fd, int uid, int gid);

        [LibraryImport("libc", EntryPoint = "fchmodat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int FchmodAt(int dirFd, string path, int mode, int flags);

        [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
        public static partial int Fchmod(int fd, int mode);

        [LibraryImport("libc", EntryPoint = "symlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int SymlinkAt(string target, int dirFd, string linkPath);

        [LibraryImport("libc", EntryPoint = "linkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int LinkAt(int oldDirFd, string oldPath, int newDirFd, string newPath, int flags);

        [LibraryImport("libc", EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int UnlinkAt(int dirFd, string path, int flags);

        [LibraryImport("libc", EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int UtimensAt(int dirFd, string path, TimeSpec* times, int flags);

        [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
        public static partial int Futimens(int fd, TimeSpec* times);

        [LibraryImport("libc", EntryPoint = "fstatat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int FstatAt(int dirFd, string path, out StatBuffer stat, int flags);

        [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
        public static partial int Fstat(int fd, out StatBuffer stat);

        [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
        public static partial int Ftruncate(int fd, long length);

        [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
        public static partial nint PWrite(int fd, byte* buffer, nint count, long offset);

        /// <summary>openat2(2): glibc 2.36 has no wrapper, so through syscall(2).</summary>
        public static int OpenAt2(int dirFd, string path, ulong flags, ulong mode, ulong resolve)
        {
            OpenHow how = new() { Flags = flags, Mode = mode, Resolve = resolve };
            int length = System.Text.Encoding.UTF8.GetByteCount(path);
            byte* bytes = stackalloc byte[length + 1];
            System.Text.Encoding.UTF8.GetBytes(path, new Span<byte>(bytes, length));
            bytes[length] = 0;
            return (int)Syscall(Skiff.Linux.Syscall.Openat2, dirFd, (long)bytes, (long)&how, sizeof(OpenHow), 0, 0);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;

        public static TimeSpec From(DateTimeOffset time)
        {
            long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
            if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
            return new TimeSpec { Seconds = seconds, Nanoseconds = rest * 100 };
        }

        public readonly DateTimeOffset ToDateTimeOffset() =>
            DateTimeOffset.UnixEpoch.AddTicks(Seconds * TimeSpan.TicksPerSecond + Nanoseconds / 100);
    }

    /// <summary>struct stat as the x86_64 kernel lays it out.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct StatBuffer
    {
        public ulong Device;
        public ulong Inode;
        public ulong LinkCount;
        public uint Mode;
        public uint Uid;
        public uint Gid;
        private readonly int _pad0;
        public ulong RDevice;
        public long Size;
        public long BlockSize;
        public long Blocks;
        public TimeSpec AccessTime;
        public TimeSpec ModifyTime;
        public TimeSpec ChangeTime;
        private fixed long _reserved[3];

        public readonly uint FileType => Mode & FileFlags.S_IFMT;
        public readonly bool IsDirectory => FileType == FileFlags.S_IFDIR;
        public readonly bool IsRegular => FileType == FileFlags.S_IFREG;
        public readonly bool IsSymlink => FileType == FileFlags.S_IFLNK;
    }

    /// <summary>struct statfs as the x86_64 kernel lays it out.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct StatFsBuffer
    {
        /// <summary>The file system's magic number (PROC_SUPER_MAGIC, ...).</summary>
        public long Type;
        public long BlockSize;
        public ulong Blocks;
        public ulong FreeBlocks;
        public ulong AvailableBlocks;
        public ulong Files;
        public ulong FreeFiles;
        public ulong FsId;
        public long NameLength;
        public long FragmentSize;
        /// <summary>The mount's ST_* flags (ST_RDONLY, ST_NOSUID, ..., ST_RELATIME): MS_* bit for bit below 4096.</summary>
        public long Flags;
        private fixed long _spare[4];
    }
}

/// <summary>Flag values for the *at calls, openat2, flock and stat modes (x86_64).</summary>
public static class FileFlags
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000,
        O_CLOEXEC = 0x80000, O_PATH = 0x200000, O_TMPFILE = 0x410000;

    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200,
        AT_SYMLINK_FOLLOW = 0x400, AT_EMPTY_PATH = 0x1000;

    /// <summary>openat2 resolve flags (linux/openat2.h).</summary>
    public const ulong RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04,
        RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10, RESOLVE_CACHED = 0x20;

    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    public const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFREG = 0x8000,
        S_IFBLK = 0x6000, S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;

    /// <summary>glibc's makedev: the 64-bit dev_t split across major and minor numbers.</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    public static uint Major(ulong dev) => (uint)(((dev >> 32) & 0xfffff000) | ((dev >> 8) & 0xfff));

    public static uint Minor(ulong dev) => (uint)(((dev >> 12) & 0xffffff00) | (dev & 0xff));
}
