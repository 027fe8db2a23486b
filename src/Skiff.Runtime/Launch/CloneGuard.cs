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
/// cooperative mode and no such GC can finish before the parent's own poll after clone returns:
/// a GC that could have touched the copy is therefore always counted between the two reads of
/// the collection count. When the count moved, the child is killed and the clone repeated.
/// (Background GC, whose end-of-cycle pause does not count, is switched off for these binaries.)</item>
/// </list>
/// </summary>
internal static unsafe class CloneGuard
{
    private const int MaxAttempts = 16;

    /// <summary>Clones a child that runs <paramref name="context"/>'s plan; returns its pid in the parent.</summary>
    public static int Clone(long flags, ChildContext* context)
    {
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            ulong all = ~0UL, previous;
            Interop.Libc.PthreadSigmask(Native.SIG_BLOCK, &all, &previous);
            int collections = GC.CollectionCount(0);
            long pid = Interop.Raw.Sys(Syscall.Clone, flags | Signal.SIGCHLD, 0, 0, 0, 0);
            if (pid == 0) ChildRoutine.Run(context);
            bool raced = GC.CollectionCount(0) != collections;
            Interop.Libc.PthreadSigmask(Native.SIG_SETMASK, &previous, null);
            if (pid < 0) throw new SystemCallException("clone", (int)-pid);
            if (!raced) return (int)pid;
            Interop.Libc.Kill((int)pid, Signal.SIGKILL);
            int status;
            Interop.Libc.WaitPid((int)pid, &status, 0);
        }
        throw new RuntimeException("clone: a garbage collection raced every attempt to start the container");
    }
}
