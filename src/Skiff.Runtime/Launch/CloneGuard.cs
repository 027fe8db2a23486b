using Skiff.Linux;

namespace Skiff.Runtime.Launch;

/// <summary>
/// clone(2) from a managed, multithreaded process, made safe.
/// The child continues on a copy of this thread with a copy of the heap and of the runtime's
/// globals. Two hazards follow, and this type handles both:
/// <list type="bullet">
/// <item>A signal handler of the runtime must not run in the child: every signal is blocked
/// across the call (the child resets dispositions and unblocks just before execve).</item>
/// <item>If a GC had begun suspending threads when the memory was copied, the child's copy of
/// the runtime's "trap threads" flag is set and its first GC poll waits forever for a GC that
/// only the parent runs. The clone is a SuppressGCTransition call, so this thread stays in
/// cooperative mode and no such GC can finish before the parent's next safepoint: the parent
/// passes one (a transitioning P/Invoke) before its second read of the collection count, so a
/// GC that could have touched the copy is always counted between the two reads. A stress run
/// without that safepoint hung children within a few hundred launches. When the count moved, the child is killed and the clone repeated.
/// (Background GC, whose end-of-cycle pause does not count, is switched off for these binaries.)</item>
/// </list>
/// </summary>
internal static unsafe class CloneGuard
{
    private const int MaxAttempts = 100;
    private const int SuspectGraceMs = 25;
    private const ulong CloneIntoCgroup = 0x200000000;

    // Set once a kernel (or a seccomp profile around us) refuses clone3 or its cgroup flag as unknown:
    // later launches of this process go straight to clone.
    private static bool s_intoCgroupRefused;

    /// <summary>
    /// Clones a child that runs <paramref name="context"/>'s plan; returns its pid in the parent.
    /// With <paramref name="cgroupDirectory"/> (a cgroup2 directory) the child is started inside that
    /// cgroup by clone3's CLONE_INTO_CGROUP, so not one instruction of it runs, and nothing of it is
    /// charged, outside its limits; <paramref name="intoCgroup"/> says whether that happened. When the
    /// kernel refuses (no clone3, no flag, or the cgroup will not take it), this is a plain clone and
    /// the caller places the child, whose write to cgroup.procs then reports what is wrong.
    /// A raced child may already have written to the sync socket: what it wrote is drained from
    /// <paramref name="syncSocket"/> before the next attempt, so the new child's dialogue starts clean.
    /// </summary>
    public static int Clone(long flags, ChildContext* context, int syncSocket, string? cgroupDirectory, out bool intoCgroup)
    {
        int cgroupFd = cgroupDirectory is null || s_intoCgroupRefused ? -1
            : Interop.Libc.Open(cgroupDirectory, Kernel.O_PATH | Kernel.O_DIRECTORY | Kernel.O_CLOEXEC, 0);
        try
        {
            for (int attempt = 0; attempt < MaxAttempts; attempt++)
            {
                long pid = Attempt(flags, context, cgroupFd, out bool raced);
                if (pid < 0 && cgroupFd >= 0)
                {
                    int errno = (int)-pid;
                    if (errno is Errno.ENOSYS or Errno.E2BIG or Errno.EINVAL) s_intoCgroupRefused = true;
                    Interop.Libc.Close(cgroupFd);
                    cgroupFd = -1;
                    attempt--;
                    continue;
                }
                if (pid < 0) throw new SystemCallException("clone", (int)-pid);
                if (!raced || Speaks(syncSocket))
                {
                    intoCgroup = cgroupFd >= 0;
                    return (int)pid;
                }
                Interop.Libc.Kill((int)pid, Signal.SIGKILL);
                int status;
                Interop.Libc.WaitPid((int)pid, &status, 0);
                SyncMessage stale;
                while (Interop.Libc.Syscall(Syscall.Recvfrom, syncSocket, (long)&stale, sizeof(SyncMessage), Kernel.MSG_DONTWAIT, 0, 0) > 0) { }
            }
            throw new RuntimeException("clone: a garbage collection raced every attempt to start the container");
        }
        finally
        {
            if (cgroupFd >= 0) Interop.Libc.Close(cgroupFd);
        }
    }

    /// <summary>One clone (clone3 into the cgroup when <paramref name="cgroupFd"/> is open): the pid, or minus errno.</summary>
    private static long Attempt(long flags, ChildContext* context, int cgroupFd, out bool raced)
    {
        CloneArgs args = new()
        {
            Flags = (ulong)flags | CloneIntoCgroup,
            ExitSignal = (ulong)Signal.SIGCHLD,
            Cgroup = (ulong)cgroupFd,
        };
        ulong all = ~0UL, previous;
        Interop.Libc.PthreadSigmask(Kernel.SIG_BLOCK, &all, &previous);
        int collections = GC.CollectionCount(0);
        long pid = cgroupFd >= 0
            ? Interop.Raw.Sys(Syscall.Clone3, (long)&args, sizeof(CloneArgs))
            : Interop.Raw.Sys(Syscall.Clone, flags | Signal.SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) ChildRoutine.Run(context);
        // A transitioning P/Invoke: its return is a safepoint that waits out any GC already
        // begun, so the count read after it has seen every GC that could have reached the copy.
        Interop.Libc.PthreadSigmask(Kernel.SIG_SETMASK, &previous, null);
        raced = GC.CollectionCount(0) != collections;
        return pid;
    }

    /// <summary>Whether the child's first message arrives (left queued for the session) within the grace period.</summary>
    private static bool Speaks(int syncSocket)
    {
        Interop.PollFd poll = new() { Fd = syncSocket, Events = Kernel.POLLIN };
        int ready;
        do ready = Interop.Libc.Poll(&poll, 1, SuspectGraceMs);
        while (ready < 0 && Errno.Last == Errno.EINTR);
        return ready > 0;
    }

    /// <summary>struct clone_args up to its cgroup field (CLONE_ARGS_SIZE_VER2, 88 bytes).</summary>
    private struct CloneArgs
    {
        public ulong Flags, PidFd, ChildTid, ParentTid, ExitSignal, Stack, StackSize, Tls, SetTid, SetTidSize, Cgroup;
    }
}
