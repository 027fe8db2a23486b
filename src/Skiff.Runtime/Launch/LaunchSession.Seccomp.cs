using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Launch;

/// <summary>The parent's half of the seccomp notify hand-over: the child's listener fd goes on to listenerPath.</summary>
internal sealed unsafe partial class LaunchSession
{
    /// <summary>An fd that came with the last message, until a handler takes it.</summary>
    private int _receivedFd = -1;

    /// <summary>read(2) would drop an SCM_RIGHTS fd on the floor: every message is taken with recvmsg.</summary>
    private nint ReadMessage(SyncMessage* message)
    {
        nint n = FdPassing.Receive(_parentSocket, message, (nuint)sizeof(SyncMessage), out int fd);
        if (fd >= 0)
        {
            CloseReceivedFd();
            _receivedFd = fd;
        }
        return n;
    }

    /// <summary>
    /// Takes the listener fd, lets the child go on (it waits for the agent by itself if it meets a
    /// notified call), then connects to listenerPath and sends the fd with the process state.
    /// </summary>
    private void HandOverSeccompListener(SyncMessage message)
    {
        int fd = _receivedFd;
        _receivedFd = -1;
        if (fd < 0) throw new RuntimeException("container init announced a seccomp listener but sent no file descriptor");
        try
        {
            Step step = _plan.Steps[message.Step];
            Reply();
            var state = new ContainerProcessState
            {
                Fds = [ContainerProcessState.SeccompFdName],
                Pid = Pid,
                Metadata = string.IsNullOrEmpty(step.SeccompListener.Metadata) ? null : step.SeccompListener.Metadata,
                State = _stateFor(),
            };
            SeccompListenerHandover.Send(step.SeccompListener.Path!, state, fd);
        }
        finally
        {
            Interop.Libc.Close(fd);
        }
    }

    private void CloseReceivedFd()
    {
        if (_receivedFd >= 0) Interop.Libc.Close(_receivedFd);
        _receivedFd = -1;
    }
}
