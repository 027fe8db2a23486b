using Skiff.Linux;

namespace Skiff.Cli;

public static unsafe class ProcessSignals
{
    private const int SIG_SETMASK = 2;

    /// <summary>
    /// conmon runs `skiff container cleanup` with the signals it reads through a signalfd still
    /// blocked (a signal mask survives execve): a blocked SIGCHLD would keep .NET from ever reaping
    /// the runtime processes skiff starts, and the cleanup would wait forever.
    /// </summary>
    public static void UnblockAll()
    {
        ulong none = 0;
        Interop.Libc.PthreadSigmask(SIG_SETMASK, &none, null);
    }
}
