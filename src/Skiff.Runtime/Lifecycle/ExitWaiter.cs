using Skiff.Linux;

namespace Skiff.Runtime.Lifecycle;

/// <summary>Waiting for the container's process in `run`, and runc's mapping of a wait status to an exit code.</summary>
internal static unsafe class ExitWaiter
{
    public static int Wait(int pid)
    {
        int status;
        while (Interop.Libc.WaitPid(pid, &status, 0) < 0)
        {
            if (Errno.Last == Errno.EINTR) continue;
            throw SystemCallException.Last($"waiting for container process {pid}");
        }
        return status;
    }

    /// <summary>The exit status, or 128 + the signal that killed it (as a shell reports it).</summary>
    public static int ExitCode(int status) => new WaitStatus(status).ExitCode;
}

/// <summary>While `run` waits, signals sent to it are passed on to the container's process, as runc does.</summary>
internal sealed class SignalForwarder : IDisposable
{
    private readonly List<System.Runtime.InteropServices.PosixSignalRegistration> _registrations = [];

    public SignalForwarder(int pid)
    {
        foreach (var (signal, number) in new[]
        {
            (System.Runtime.InteropServices.PosixSignal.SIGINT, Signal.SIGINT),
            (System.Runtime.InteropServices.PosixSignal.SIGTERM, Signal.SIGTERM),
            (System.Runtime.InteropServices.PosixSignal.SIGHUP, Signal.SIGHUP),
            (System.Runtime.InteropServices.PosixSignal.SIGQUIT, Signal.SIGQUIT),
        })
        {
            int n = number;
            _registrations.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                Interop.Libc.Kill(pid, n);
            }));
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
