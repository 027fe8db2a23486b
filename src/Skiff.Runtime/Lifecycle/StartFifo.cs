using Skiff.Linux;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Lifecycle;

/// <summary>
/// The exec fifo in the container's state directory: the created container blocks reading it,
/// `start` writes the byte that lets it exec. Its existence is what "created" means on disk.
/// </summary>
internal static unsafe class StartFifo
{
    public static void Signal(string fifo, string id)
    {
        // Non-blocking: a fifo with no reader (the container died) fails with ENXIO instead of hanging.
        int fd = Interop.Libc.Open(fifo, Native.O_WRONLY | Native.O_NONBLOCK | Native.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Errno.Last;
            if (errno == Errno.ENXIO) throw new RuntimeException($"cannot start container {id}: its init process is gone");
            throw new SystemCallException($"opening {fifo}", errno);
        }
        byte go = 0;
        nint n = Interop.Libc.Write(fd, &go, 1);
        int writeErrno = Errno.Last;
        Interop.Libc.Close(fd);
        if (n != 1) throw new SystemCallException($"writing {fifo}", writeErrno);
        File.Delete(fifo);
    }
}
