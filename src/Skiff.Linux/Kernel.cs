namespace Skiff.Linux;

/// <summary>
/// Kernel constants skiff passes to system calls, x86_64 values from the uapi headers, in one place
/// (system call numbers are in <see cref="Syscall"/>, errno values in <see cref="Errno"/>).
/// </summary>
public static class Kernel
{
    public const long CLONE_NEWTIME = 0x80, CLONE_NEWNS = 0x20000, CLONE_NEWCGROUP = 0x02000000,
        CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000,
        CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    public const long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
        MS_REMOUNT = 32, MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256, MS_NOATIME = 1024,
        MS_NODIRATIME = 2048, MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_SILENT = 32768,
        MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20,
        MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;

    public const long MOUNT_ATTR_RDONLY = 0x1, MOUNT_ATTR_NOSUID = 0x2, MOUNT_ATTR_NODEV = 0x4,
        MOUNT_ATTR_NOEXEC = 0x8, MOUNT_ATTR__ATIME = 0x70, MOUNT_ATTR_RELATIME = 0, MOUNT_ATTR_NOATIME = 0x10,
        MOUNT_ATTR_STRICTATIME = 0x20, MOUNT_ATTR_NODIRATIME = 0x80, MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000,
        O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    public const long RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_IN_ROOT = 0x10;

    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000, AT_RECURSIVE = 0x8000,
        AT_REMOVEDIR = 0x200;

    public const int S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFREG = 0x8000,
        S_IFIFO = 0x1000, S_IFLNK = 0xA000;

    public const int PR_SET_PDEATHSIG = 1, PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38,
        PR_SET_CHILD_SUBREAPER = 36, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    public const int MNT_DETACH = 2;
    public const int OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = O_CLOEXEC;
    public const int MOVE_MOUNT_F_EMPTY_PATH = 0x04, MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    public const int CLOSE_RANGE_CLOEXEC = 4;
    public const int SIG_SETMASK = 2, SIG_BLOCK = 0;
    public const int AF_UNIX = 1, AF_INET = 2, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;

    /// <summary>netdevice(7): a link's flags through a socket, and the flag that brings it up.</summary>
    public const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    public const short IFF_UP = 0x1;
    public const int SOL_SOCKET = 1, SCM_RIGHTS = 1;
    public const int POLLIN = 1;
    public const ulong TIOCSCTTY = 0x540E, TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431, TIOCSWINSZ = 0x5414,
        TIOCGWINSZ = 0x5413;
    public const int KEYCTL_JOIN_SESSION_KEYRING = 1;
    public const int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    public const int ETIMEDOUT = 110;

    public const int PR_SET_DUMPABLE = 4;
    public const int KEYCTL_SETPERM = 5;
    public const int F_DUPFD_CLOEXEC = 1030, F_SETLKW = 7, F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
    public const short F_WRLCK = 1;
    public const int F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;
    public const int MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_EXEC = 0x10;
    public const long ST_RDONLY = 1, ST_RELATIME = 4096;
    public const long FS_IOC_GETFLAGS = 0x80086601;
    public const int FS_IMMUTABLE_FL = 0x10;
    public const long PROC_SUPER_MAGIC = 0x9fa0, NSFS_MAGIC = 0x6e736673;
    public const ulong TIOCGPTPEER = 0x5441;
    public const int SECCOMP_SET_MODE_FILTER = 1;
    public const int X_OK = 1;
    public const int IOPRIO_WHO_PROCESS = 1;
    public const int MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;
    public const long RESOLVE_NO_XDEV = 0x01, RESOLVE_BENEATH = 0x08;
    public const int POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
}
