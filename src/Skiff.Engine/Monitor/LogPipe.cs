using Skiff.Engine.Containers;
using Skiff.Engine.Logs;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Engine.Monitor;

/// <summary>
/// The FIFO conmon logs into when a <see cref="LogWriter"/> writes the file: made anew at each
/// start, its read end opened before conmon is (so conmon's open never blocks) and handed with
/// the writer's lock to <c>skiff container log-writer</c>, its own session, as fds 3 and 4.
/// </summary>
public sealed class LogPipe
{
    private LogPipe(string path) => Path = path;

    /// <summary>The FIFO, which conmon is given as its k8s-file path.</summary>
    public string Path { get; }

    public static string FifoOf(string bundle) => System.IO.Path.Combine(bundle, "ctr.fifo");

    /// <summary>Held by the writer while it runs: a reader of a stopped container's log waits for it.</summary>
    public static string LockOf(string bundle) => System.IO.Path.Combine(bundle, "log.lock");

    public static LogPipe Start(string bundle, string logFile, LogPolicy policy, IReadOnlyList<string> self)
    {
        string fifo = FifoOf(bundle);
        File.Delete(fifo);
        if (Interop.Libc.MkFifo(fifo, 0x180) != 0) throw new EngineException($"making the log FIFO {fifo}: {Errno.Describe(Errno.Last)}");
        int read = Interop.Libc.Open(fifo, FileFlags.O_RDONLY | FileFlags.O_NONBLOCK | FileFlags.O_CLOEXEC, 0);
        if (read < 0) throw new EngineException($"opening the log FIFO {fifo}: {Errno.Describe(Errno.Last)}");
        using UnixFd reading = new(read);
        int lockFd = Interop.Libc.Open(LockOf(bundle), FileFlags.O_RDWR | FileFlags.O_CREAT | FileFlags.O_CLOEXEC, 0x180);
        if (lockFd < 0) throw new EngineException($"opening {LockOf(bundle)}: {Errno.Describe(Errno.Last)}");
        using UnixFd locking = new(lockFd);
        // A writer of an earlier run still draining its FIFO finishes first.
        while (Interop.Libc.Flock(lockFd, FileFlags.LOCK_EX) != 0)
            if (Errno.Last != Errno.EINTR) throw new EngineException($"locking {LockOf(bundle)}: {Errno.Describe(Errno.Last)}");
        List<string> command = [.. self, "container", "log-writer", "--log-driver", policy.Driver,
            "--max-size", policy.MaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-file", policy.MaxFile.ToString(System.Globalization.CultureInfo.InvariantCulture), fifo, logFile];
        ProcessSpawner.Spawn(command[0], command, Skiff.Linux.ProcessSpawn.CurrentEnvironment(), [(read, 3), (lockFd, 4)], System.IO.Path.Combine(bundle, "log-writer.err"), newSession: true);
        return new LogPipe(fifo);
    }

    /// <summary>The start failed before conmon opened the FIFO: without it at its path the writer ends.</summary>
    public void Abandon() => File.Delete(Path);
}
