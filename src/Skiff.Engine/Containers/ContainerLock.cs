using Skiff.Linux;

namespace Skiff.Engine.Containers;

/// <summary>
/// A container's exclusive flock on <c>locks/container-ID</c>, whose file goes with the container.
/// rm unlinks the file while it holds it, so a process that opened the file before the unlink
/// and wins the flock afterwards holds a lock nobody else can see: it opens the path again (and
/// then finds the container gone). A holder that finds the container gone (its bundle removed)
/// unlinks the file it holds on release, so a process that made the file anew only to find the
/// container removed leaves nothing behind. Only a holder ever unlinks, and every holder checks
/// that its file is the one at the path, so two processes never both hold the container's lock.
/// </summary>
public sealed class ContainerLock : IDisposable
{
    private readonly string _path;
    private readonly string _bundle;
    private int _fd;

    private ContainerLock(string path, string bundle, int fd)
    {
        _path = path;
        _bundle = bundle;
        _fd = fd;
    }

    public static ContainerLock Acquire(EngineLayout layout, string id)
    {
        string path = layout.Lock(id);
        while (true)
        {
            int fd = Interop.Libc.Open(path, FileFlags.O_RDWR | FileFlags.O_CREAT | FileFlags.O_CLOEXEC, 0x180);
            if (fd < 0) throw new EngineException($"locking container {Short(id)}: opening {path}: {Errno.Describe(Errno.Last)}");
            int errno = Lock(fd);
            Interop.StatBuffer held = default;
            if (errno == 0 && Interop.Libc.Fstat(fd, out held) != 0) errno = Errno.Last;
            if (errno != 0)
            {
                Interop.Libc.Close(fd);
                throw new EngineException($"locking container {Short(id)}: {path}: {Errno.Describe(errno)}");
            }
            if (Interop.Libc.FstatAt(FileFlags.AT_FDCWD, path, out Interop.StatBuffer current, 0) == 0 && current.Device == held.Device && current.Inode == held.Inode)
                return new ContainerLock(path, layout.Bundle(id), fd);
            // The file was removed with its container while this process waited for it.
            Interop.Libc.Close(fd);
        }
    }

    /// <summary>flock(LOCK_EX), through signals; the errno of a failure, else 0.</summary>
    private static int Lock(int fd)
    {
        while (Interop.Libc.Flock(fd, FileFlags.LOCK_EX) != 0)
            if (Errno.Last != Errno.EINTR) return Errno.Last;
        return 0;
    }

    private static string Short(string id) => id[..Math.Min(12, id.Length)];

    public void Dispose()
    {
        if (_fd < 0) return;
        // No bundle: the container is gone, or going (rm removes the bundle before the record,
        // under this lock). The file would only accumulate, and unlinking it under the flock is
        // safe (see the class's summary).
        if (!Directory.Exists(_bundle)) File.Delete(_path);
        Interop.Libc.Close(_fd);
        _fd = -1;
    }
}
