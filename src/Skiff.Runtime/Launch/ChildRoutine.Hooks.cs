using static Skiff.Linux.Interop.Raw;
using static Skiff.Linux.Kernel;
using Sc = Skiff.Linux.Syscall;

namespace Skiff.Runtime.Launch;

/// <summary>The child's hooks run from inside the container's namespaces. Same rules as <see cref="ChildRoutine"/>: stack buffers and raw system calls only.</summary>
internal static unsafe partial class ChildRoutine
{
    /// <summary>Runs a hook from inside the container's namespaces, state JSON on stdin, bounded by its timeout.</summary>
    private static long RunHook(RunHookArgs h, int syncFd, int step)
    {
        long pid = Sys(Sc.Clone, Skiff.Linux.Signal.SIGCHLD, 0, 0, 0, 0);
        if (pid < 0) return pid;
        if (pid == 0)
        {
            Sys(Sc.Lseek, h.State, 0, 0);
            Sys(Sc.Dup3, h.State, 0, 0);
            ulong none = 0;
            Sys(Sc.RtSigprocmask, SIG_SETMASK, (long)&none, 0, 8);
            long e = Sys(Sc.Execve, (long)h.Path, (long)h.Argv, (long)h.Envp);
            Sys(Sc.ExitGroup, e == -Skiff.Linux.Errno.ENOENT ? 127 : 126);
        }
        if (h.TimeoutSeconds > 0)
        {
            long pidfd = Sys(Sc.PidfdOpen, pid, 0);
            if (pidfd >= 0)
            {
                Skiff.Linux.Interop.PollFd poll;
                poll.Fd = (int)pidfd;
                poll.Events = POLLIN;
                poll.Revents = 0;
                long ready;
                do ready = Sys(Sc.Poll, (long)&poll, 1, h.TimeoutSeconds * 1000);
                while (ready == -Skiff.Linux.Errno.EINTR);
                Sys(Sc.Close, pidfd);
                if (ready == 0)
                {
                    Sys(Sc.Kill, pid, Skiff.Linux.Signal.SIGKILL);
                    Sys(Sc.Wait4, pid, 0, 0, 0);
                    return -ETIMEDOUT;
                }
            }
        }
        int status = 0;
        long w;
        do w = Sys(Sc.Wait4, pid, (long)&status, 0, 0);
        while (w == -Skiff.Linux.Errno.EINTR);
        if (w < 0) return w;
        if (status != 0) Fail(syncFd, step, 0, status);
        return 0;
    }
}
