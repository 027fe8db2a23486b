using System.Runtime.InteropServices;
using Skiff.Linux;
using static Skiff.Linux.Kernel;

namespace Skiff.Runtime;

/// <summary>
/// CVE-2019-5736. The clone child runs the runtime's own image until it execs the container's
/// program, and a container that execs /proc/self/exe (directly or as a script's interpreter) runs
/// the runtime's binary inside the container: either way /proc/PID/exe is a path back to the
/// installed binary, which a process in the container can hold open and write once it stops
/// running. So before anything enters a container the runtime re-executes itself from a view of
/// its binary that refuses writes: a detached read-only bind mount of the file (no copy, nothing
/// in any mount table), or where that is refused (no CAP_SYS_ADMIN) a sealed memfd copy.
/// </summary>
public static unsafe class SealedExecutable
{
    /// <summary>Returns when /proc/self/exe refuses writes; otherwise replaces the process with a sealed copy of itself.</summary>
    public static void Ensure()
    {
        int exe = Interop.Libc.Open("/proc/self/exe", O_RDONLY | O_CLOEXEC, 0);
        if (exe < 0) throw SystemCallException.Last("open /proc/self/exe");
        try
        {
            if (IsSealed(exe)) return;
            int sealedFd = ReadOnlyBind(exe);
            if (sealedFd < 0) sealedFd = MemfdCopy(exe);
            Reexecute(sealedFd);
        }
        finally
        {
            Interop.Libc.Close(exe);
        }
    }

    /// <summary>
    /// A file on a read-only mount, a memfd sealed against writes, or an immutable file (chattr +i,
    /// as scripts/install.sh leaves the installed binary): the kernel refuses every write to an
    /// immutable inode, and only CAP_LINUX_IMMUTABLE, which no default container holds, can lift it.
    /// Such a binary needs no re-execution, which saves a whole process start per create and exec.
    /// </summary>
    private static bool IsSealed(int fd)
    {
        long seals = Interop.Libc.Syscall(Syscall.Fcntl, fd, F_GET_SEALS, 0, 0, 0, 0);
        if (seals >= 0 && (seals & F_SEAL_WRITE) != 0) return true;
        int flags = 0;
        if (Interop.Libc.Syscall(Syscall.Ioctl, fd, FS_IOC_GETFLAGS, (long)&flags, 0, 0, 0) == 0 && (flags & FS_IMMUTABLE_FL) != 0)
            return true;
        byte* statfs = stackalloc byte[120];
        return Interop.Libc.Syscall(Syscall.Fstatfs, fd, (long)statfs, 0, 0, 0, 0) == 0 && (((Interop.StatFsBuffer*)statfs)->Flags & ST_RDONLY) != 0;
    }

    /// <summary>The binary on a private read-only mount that belongs to no namespace; -1 when not permitted.</summary>
    private static int ReadOnlyBind(int exe)
    {
        byte empty = 0;
        int tree = (int)Interop.Libc.Syscall(Syscall.OpenTree, exe, (long)&empty, AT_EMPTY_PATH | OPEN_TREE_CLONE | O_CLOEXEC, 0, 0, 0);
        if (tree < 0) return -1;
        ulong* attr = stackalloc ulong[4];
        attr[0] = (ulong)(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        attr[1] = attr[2] = attr[3] = 0;
        if (Interop.Libc.Syscall(Syscall.MountSetattr, tree, (long)&empty, AT_EMPTY_PATH, (long)attr, 32, 0) != 0)
        {
            Interop.Libc.Close(tree);
            return -1;
        }
        return tree;
    }

    private static int MemfdCopy(int exe)
    {
        byte* name = stackalloc byte[] { (byte)'s', (byte)'k', (byte)'i', (byte)'f', (byte)'f', 0 };
        int memfd = (int)Interop.Libc.Syscall(Syscall.MemfdCreate, (long)name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC, 0, 0, 0, 0);
        if (memfd < 0 && Errno.Last == Errno.EINVAL) // kernels before 6.3 know no MFD_EXEC
            memfd = (int)Interop.Libc.Syscall(Syscall.MemfdCreate, (long)name, MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, 0, 0, 0);
        if (memfd < 0) throw SystemCallException.Last("memfd_create for a sealed copy of the runtime");
        long copied;
        do copied = Interop.Libc.Syscall(Syscall.Sendfile, memfd, exe, 0, 1 << 30, 0, 0);
        while (copied > 0);
        if (copied < 0) throw SystemCallException.Last("copying the runtime into a sealed memfd");
        if (Interop.Libc.Syscall(Syscall.Fcntl, memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE, 0, 0, 0) != 0)
            throw SystemCallException.Last("sealing the runtime's memfd copy");
        return memfd;
    }

    /// <summary>execveat the sealed file with this process's own argv and environment.</summary>
    private static void Reexecute(int fd)
    {
        byte** argv = ExecVector.FromNulSeparated(File.ReadAllBytes("/proc/self/cmdline"));
        byte** envp = ExecVector.FromNulSeparated(File.ReadAllBytes("/proc/self/environ"));
        byte empty = 0;
        Interop.Libc.Syscall(Syscall.Execveat, fd, (long)&empty, (long)argv, (long)envp, AT_EMPTY_PATH, 0);
        throw SystemCallException.Last("re-executing the runtime from its sealed copy");
    }
}
