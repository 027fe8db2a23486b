using System.Text;
using Skiff.Linux;

namespace Skiff.Runc.Output;

/// <summary>
/// stdout or stderr as a plain file descriptor. System.Console would do, but on first use it
/// starts a signal-handling thread and takes over SIGINT, SIGQUIT, SIGCONT and SIGCHLD for
/// terminal bookkeeping: work a runtime that exits within milliseconds does not need, and threads
/// and handlers a process that clones container children is better without.
/// </summary>
internal sealed class FdWriter(int fd, string name, bool throwOnError) : TextWriter
{
    public static readonly FdWriter StandardOutput = new(1, "/dev/stdout", throwOnError: true);

    /// <summary>Failures to write errors have nowhere left to go, so they are dropped.</summary>
    public static readonly FdWriter StandardError = new(2, "/dev/stderr", throwOnError: false);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public override Encoding Encoding => Utf8;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        WriteAll(Utf8.GetBytes(value));
    }

    private unsafe void WriteAll(byte[] bytes)
    {
        fixed (byte* start = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                nint written = Interop.Libc.Write(fd, start + done, bytes.Length - done);
                if (written > 0)
                {
                    done += (int)written;
                    continue;
                }
                int errno = Errno.Last;
                if (written < 0 && errno == Errno.EINTR) continue;
                if (throwOnError) throw new IOException($"write {name}: {Errno.Describe(errno)}");
                return;
            }
        }
    }
}
