using System.Runtime.InteropServices;

namespace Skiff.Linux;

/// <summary>
/// The C library, for ordinary (parent-side) code: every import sets the last P/Invoke error, so
/// callers read errno through <see cref="Errno.Last"/>. The clone child must not use these: see
/// <see cref="Interop.Raw"/>.
/// </summary>
public static unsafe partial class Interop
{
    public static partial class Libc
    {
        [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
        public static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int signal);

        [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
        public static partial int WaitPid(int pid, int* status, int options);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        public static partial nint Read(int fd, byte* buffer, nint count);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(int fd, byte* buffer, nint count);

        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int Open(string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
        public static partial int Flock(int fd, int operation);

        [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int MkFifo(string path, int mode);

        [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
        public static partial int SocketPair(int domain, int type, int protocol, int* fds);

        [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);

        [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
        public static partial int Connect(int fd, byte* address, int length);

        [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
        public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

        [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int MemfdCreate(string name, uint flags);

        [LibraryImport("libc", EntryPoint = "pthread_sigmask", SetLastError = true)]
        public static partial int PthreadSigmask(int how, ulong* set, ulong* oldSet);

        [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
        public static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        public static partial int Poll(PollFd* fds, ulong count, int timeoutMs);

        [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        public static partial int Ioctl(int fd, ulong request, void* argument);

        [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
        public static partial int TcGetAttr(int fd, byte* termios);

        [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
        public static partial int TcSetAttr(int fd, int actions, byte* termios);

        [LibraryImport("libc", EntryPoint = "cfmakeraw")]
        public static partial void CfMakeRaw(byte* termios);

        [LibraryImport("libc", EntryPoint = "isatty")]
        public static partial int IsATty(int fd);

        [LibraryImport("libc", EntryPoint = "posix_spawn", SetLastError = true)]
        public static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

        [LibraryImport("libc", EntryPoint = "posix_spawnp", SetLastError = true)]
        public static partial int PosixSpawnp(int* pid, byte* file, void* fileActions, void* attributes, byte** argv, byte** envp);

        [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
        public static partial int PosixSpawnFileActionsInit(void* fileActions);

        [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
        public static partial int PosixSpawnFileActionsAddDup2(void* fileActions, int fd, int newFd);

        [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
        public static partial int PosixSpawnFileActionsDestroy(void* fileActions);

        [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
        public static partial int PosixSpawnAttrInit(void* attributes);

        [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
        public static partial int PosixSpawnAttrSetFlags(void* attributes, short flags);

        [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
        public static partial int PosixSpawnAttrSetSigmask(void* attributes, ulong* mask);

        [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
        public static partial int PosixSpawnAttrSetSigdefault(void* attributes, ulong* signals);

        [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
        public static partial int PosixSpawnAttrDestroy(void* attributes);
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
