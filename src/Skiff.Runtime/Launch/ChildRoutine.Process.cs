using static Skiff.Linux.Interop.Raw;
using static Skiff.Linux.Kernel;
using Sc = Skiff.Linux.Syscall;

namespace Skiff.Runtime.Launch;

/// <summary>
/// The child's handlers for the process's own attributes: the seccomp listener hand-over, I/O and
/// CPU scheduling, and the LSM label of the coming execve. Same rules as the rest of the routine:
/// stack buffers and raw system calls only.
/// </summary>
internal static unsafe partial class ChildRoutine
{
    /// <summary>
    /// Loads a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and hands the listener fd to the parent,
    /// which forwards it to listenerPath. Between the load and the parent's copy only sendmsg may
    /// run unanswered (the planner refuses NOTIFY on it); close and read may be notified, since the
    /// listener has the fd by the time they wait.
    /// </summary>
    private static long SeccompNotify(SeccompArgs f, int step)
    {
        long listener = LoadSeccomp(f);
        if (listener < 0) return listener;
        long r = SendListener(f.Socket, (int)listener, step);
        Sys(Sc.Close, listener);
        return r < 0 ? r : WaitGo(f.Socket);
    }

    /// <summary>One SEQPACKET datagram: a SeccompListener message with the fd as SCM_RIGHTS.</summary>
    private static long SendListener(int socket, int fd, int step)
    {
        SyncMessage m;
        m.Kind = SyncKind.SeccompListener;
        m.Step = step;
        m.Errno = 0;
        m.Value = fd;
        return SendFd(socket, fd, &m, (nuint)sizeof(SyncMessage));
    }

    /// <summary>
    /// Writes an LSM exec label through the container's /proc, proved to be procfs, to an attribute
    /// file reached without crossing a mount: neither a fake /proc (CVE-2019-16884) nor another procfs
    /// file bind-mounted over the attribute (CVE-2025-52881) can make the label land elsewhere.
    /// </summary>
    private static long ExecLabel(ExecLabelArgs l, byte* statfs)
    {
        long proc = OpenProcfs(statfs);
        if (proc < 0) return proc;
        long fd = OpenBeneathProc(proc, l.Attribute, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd == -Skiff.Linux.Errno.ENOENT && l.Fallback != null) fd = OpenBeneathProc(proc, l.Fallback, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        Sys(Sc.Close, proc);
        if (fd < 0) return fd;
        long r = IsProcfs(fd, statfs) ? 0 : -Skiff.Linux.Errno.EXDEV; // the attribute file is not where procfs would have it
        if (r >= 0)
        {
            do r = Sys(Sc.Write, fd, (long)l.Value, l.Length);
            while (r == -Skiff.Linux.Errno.EINTR);
        }
        Sys(Sc.Close, fd);
        return r < 0 ? r : 0;
    }

    private static bool IsProcfs(long fd, byte* statfs) => Sys(Sc.Fstatfs, fd, (long)statfs) >= 0 && ((Skiff.Linux.Interop.StatFsBuffer*)statfs)->Type == PROC_SUPER_MAGIC;

    private static byte* ProcLiteral => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference("/proc"u8));

    private static long SetRlimit(RlimitArgs l)
    {
        ulong* limit = stackalloc ulong[2];
        limit[0] = (ulong)l.Soft;
        limit[1] = (ulong)l.Hard;
        return Sys(Sc.Prlimit64, 0, l.Resource, (long)limit, 0);
    }

    /// <summary>Loads the filter; with SECCOMP_FILTER_FLAG_NEW_LISTENER among its flags, returns the listener fd.</summary>
    private static long LoadSeccomp(SeccompArgs f)
    {
        // struct sock_fprog: a u16 length, then the filter pointer (8-byte aligned).
        ulong* program = stackalloc ulong[2];
        program[0] = (ulong)f.Instructions;
        program[1] = (ulong)f.Filter;
        return Sys(Sc.Seccomp, SECCOMP_SET_MODE_FILTER, f.Flags, (long)program);
    }
}
