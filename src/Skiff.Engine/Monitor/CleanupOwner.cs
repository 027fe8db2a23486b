using Skiff.Linux;

namespace Skiff.Engine.Monitor;

/// <summary>
/// A claim, by the process that will settle a container once it exits (an attached run, rm -f,
/// stop), that it will: a shared flock on <c>locks/cleanup-ID</c>, held from before the exit until
/// the container is settled. conmon's exit command, started the moment the container exits,
/// waits for every claim to end instead of racing the claimant for the container's lock, and
/// finds nothing left to do when the container is gone. A killed claimant's flock dies with it,
/// and the exit command then settles the container itself. rm removes the file with the
/// container; a claim made after that (its process saw the container just before it went) removes
/// the file it made again on release, when the container's bundle is gone.
/// </summary>
public sealed class CleanupOwner : IDisposable
{
    private readonly string _path;
    private readonly string _bundle;
    private int _fd;

    private CleanupOwner(string path, string bundle, int fd)
    {
        _path = path;
        _bundle = bundle;
        _fd = fd;
    }

    public static string PathOf(EngineLayout layout, string id) => Path.Combine(layout.Locks, "cleanup-" + id);

    public static CleanupOwner Claim(EngineLayout layout, string id)
    {
        string path = PathOf(layout, id);
        int fd = Interop.Libc.Open(path, FileFlags.O_RDONLY | FileFlags.O_CREAT | FileFlags.O_CLOEXEC, 0x180);
        if (fd < 0) throw new EngineException($"claiming the cleanup of {id[..Math.Min(12, id.Length)]}: {Errno.Describe(Errno.Last)}");
        Lock(fd, FileFlags.LOCK_SH);
        return new CleanupOwner(path, layout.Bundle(id), fd);
    }

    /// <summary>Blocks until no process claims the container's cleanup; false when none ever did (no lock file).</summary>
    public static bool WaitForClaims(EngineLayout layout, string id)
    {
        // No O_CREAT: an exit command coming after rm must not leave a lock file behind.
        int fd = Interop.Libc.Open(PathOf(layout, id), FileFlags.O_RDONLY | FileFlags.O_CLOEXEC, 0);
        if (fd < 0) return false;
        try
        {
            Lock(fd, FileFlags.LOCK_EX);
            return true;
        }
        finally
        {
            Interop.Libc.Close(fd);
        }
    }

    private static void Lock(int fd, int operation)
    {
        while (Interop.Libc.Flock(fd, operation) != 0)
        {
            if (Errno.Last == Errno.EINTR) continue;
            int errno = Errno.Last;
            Interop.Libc.Close(fd);
            throw new EngineException($"cleanup lock: {Errno.Describe(errno)}");
        }
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        // With the container gone, nobody is left to wait on the file: an exit command that comes
        // later finds no claim and no container, which is what a removed container should show.
        if (!Directory.Exists(_bundle)) File.Delete(_path);
        Interop.Libc.Close(_fd);
        _fd = -1;
    }
}
