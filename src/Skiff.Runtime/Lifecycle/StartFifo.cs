using Skiff.Linux;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Lifecycle;

/// <summary>
/// The exec fifo in the container's state directory: the created container blocks reading it,
/// `start` writes the byte that lets it go. Its existence is what "created" means on disk.
/// </summary>
internal static unsafe class StartFifo
{
    /// <summary>
    /// Releases the container and returns once it has exec'd its process (or died): poststart
    /// hooks must run after the process started (runtime-spec), so `start` cannot return earlier.
    /// The init holds the fifo open O_RDWR and close-on-exec: its exec is the last writer going
    /// away, which a reader that opened while writers existed sees as POLLHUP.
    /// </summary>
    public static void Signal(string fifo, string id)
    {
        // Non-blocking: a fifo with no reader (the init died) fails with ENXIO instead of hanging.
        int writer = Interop.Libc.Open(fifo, Kernel.O_WRONLY | Kernel.O_NONBLOCK | Kernel.O_CLOEXEC, 0);
        if (writer < 0)
        {
            int errno = Errno.Last;
            if (errno == Errno.ENXIO) throw new RuntimeException($"cannot start container {id}: its init process is gone");
            throw new SystemCallException($"opening {fifo}", errno);
        }
        int reader = -1;
        try
        {
            byte go = 0;
            if (Interop.Libc.Write(writer, &go, 1) != 1) throw SystemCallException.Last($"writing {fifo}");
            reader = Interop.Libc.Open(fifo, Kernel.O_RDONLY | Kernel.O_NONBLOCK | Kernel.O_CLOEXEC, 0);
            if (reader < 0) throw SystemCallException.Last($"opening {fifo}");
        }
        finally { Interop.Libc.Close(writer); }

        Interop.PollFd poll = new() { Fd = reader, Events = 0 };
        while (Interop.Libc.Poll(&poll, 1, -1) < 0 && Errno.Last == Errno.EINTR) { }
        Interop.Libc.Close(reader);
        File.Delete(fifo);
    }
}
