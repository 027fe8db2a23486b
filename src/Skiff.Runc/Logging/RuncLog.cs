using System.Text;
using Skiff.Linux;
using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Logging;

/// <summary>
/// The runtime's log, where runc's is: stderr by default, or appended to the --log file that
/// clients read back. A failure is logged at error level and, when the log is a file, also
/// printed plainly on stderr, as runc does.
/// </summary>
internal sealed class RuncLog : IDisposable
{
    private const int FileMode = 0b110_100_100; // 0644, as runc creates it

    private readonly LogFormat _format;
    private readonly LogLevel _threshold;
    private readonly TextWriter _stderr;
    private readonly int _fd;

    private RuncLog(LogFormat format, bool debug, TextWriter stderr, int fd)
    {
        _format = format;
        _threshold = debug ? LogLevel.Debug : LogLevel.Info;
        _stderr = stderr;
        _fd = fd;
    }

    /// <summary>A log to stderr, for failures that happen before the global flags are known.</summary>
    public static RuncLog ToStderr(TextWriter stderr) => new(LogFormat.Text, debug: false, stderr, fd: -1);

    public static RuncLog Open(GlobalSettings globals, TextWriter stderr)
    {
        if (string.IsNullOrEmpty(globals.LogPath))
            return new RuncLog(globals.LogFormat, globals.Debug, stderr, fd: -1);

        // O_APPEND: containerd and dockerd keep one log file per container that every call of
        // the runtime appends to, and a reader may be tailing it.
        int fd = Interop.Libc.Open(globals.LogPath,
            FileFlags.O_WRONLY | FileFlags.O_CREAT | FileFlags.O_APPEND | FileFlags.O_CLOEXEC, FileMode);
        if (fd < 0) throw new CliException($"open {globals.LogPath}: {Errno.Describe(Errno.Last)}");
        return new RuncLog(globals.LogFormat, globals.Debug, stderr, fd);
    }

    public bool IsDebugEnabled => _threshold <= LogLevel.Debug;

    public void Debug(string message) => Write(LogLevel.Debug, message);

    public void Warning(string message) => Write(LogLevel.Warning, message);

    public void Error(string message) => Write(LogLevel.Error, message);

    /// <summary>The failure that ends the command: logged, and on stderr even when the log is a file.</summary>
    public void Fatal(string message)
    {
        Write(LogLevel.Error, message);
        if (_fd >= 0) _stderr.Write(message + "\n");
    }

    private void Write(LogLevel level, string message)
    {
        if (level < _threshold) return;
        string line = LogrusLine.Format(_format, level, message, DateTimeOffset.Now);
        if (_fd < 0) _stderr.Write(line);
        else WriteToFile(line);
    }

    /// <summary>One write(2) per line, so lines from concurrent runtime calls never interleave.</summary>
    private unsafe void WriteToFile(string line)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);
        fixed (byte* start = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                nint written = Interop.Libc.Write(_fd, start + done, bytes.Length - done);
                if (written < 0 && Errno.Last == Errno.EINTR) continue;
                // A log that cannot be written must not turn into a second failure.
                if (written <= 0) return;
                done += (int)written;
            }
        }
    }

    public void Dispose()
    {
        if (_fd >= 0) Interop.Libc.Close(_fd);
    }
}
