using Skiff.Linux;

namespace Skiff.Images.Fs;

/// <summary>
/// An flock(2) on a lock file. flock locks die with the process, so a killed skiff never leaves
/// the store locked.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly UnixFd _fd;

    private FileLock(UnixFd fd) => _fd = fd;

    public static FileLock Exclusive(string path) => Acquire(path, FileFlags.LOCK_EX)!;

    public static FileLock Shared(string path) => Acquire(path, FileFlags.LOCK_SH)!;

    /// <summary>The exclusive lock if nobody holds the file locked, otherwise null.</summary>
    public static FileLock? TryExclusive(string path) => Acquire(path, FileFlags.LOCK_EX | FileFlags.LOCK_NB);

    private static FileLock? Acquire(string path, int operation)
    {
        int fd = Interop.Libc.Open(path, FileFlags.O_RDWR | FileFlags.O_CREAT | FileFlags.O_CLOEXEC, 0x180);
        if (fd < 0) throw new ImageException($"lock {path}: {Errno.Describe(Errno.Last)}");
        UnixFd owned = new(fd);
        while (Interop.Libc.Flock(fd, operation) != 0)
        {
            int errno = Errno.Last;
            if (errno == Errno.EINTR) continue;
            owned.Dispose();
            if (errno == Errno.EAGAIN) return null;
            throw new ImageException($"lock {path}: {Errno.Describe(errno)}");
        }
        return new FileLock(owned);
    }

    public void Dispose() => _fd.Dispose();
}
