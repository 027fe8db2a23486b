using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Skiff.Linux;

namespace Skiff.Engine.Logs;

/// <summary>
/// The process between conmon and a log file conmon cannot write itself (json-file, or more than
/// one file kept): it reads conmon's k8s-file lines from a FIFO and writes each as the driver's
/// format into a <see cref="RotatingLog"/>. It ends when conmon closes the FIFO (the container has
/// exited and its output is drained), or when the FIFO it was given is no longer at its path (the
/// start failed before conmon opened it, or the container was removed).
/// </summary>
public static unsafe class LogWriter
{
    private const short POLLIN = 0x1;

    /// <param name="fifo">The FIFO's read end, opened non-blocking before conmon was started.</param>
    public static void Run(int fifo, string fifoPath, string output, LogPolicy policy)
    {
        Interop.Libc.Fstat(fifo, out Interop.StatBuffer own);
        using RotatingLog log = new(output, policy.MaxSize, policy.MaxFile);
        List<byte> line = [];
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            Interop.PollFd poll = new() { Fd = fifo, Events = POLLIN };
            int ready = Interop.Libc.Poll(&poll, 1, 1000);
            if (ready < 0 && Errno.Last == Errno.EINTR) continue;
            if (ready == 0)
            {
                // Until a writer has opened the FIFO the kernel reports nothing, not even a hangup.
                if (Interop.Libc.FstatAt(FileFlags.AT_FDCWD, fifoPath, out Interop.StatBuffer now, 0) != 0 || now.Inode != own.Inode) return;
                continue;
            }
            nint count;
            fixed (byte* p = buffer) count = Interop.Libc.Read(fifo, p, buffer.Length);
            if (count < 0 && Errno.Last is Errno.EINTR or Errno.EAGAIN) continue;
            if (count <= 0) break;
            for (int i = 0; i < count; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    line.Add(buffer[i]);
                    continue;
                }
                WriteEntry(log, policy.Driver, [.. line]);
                line.Clear();
            }
        }
        if (line.Count > 0) WriteEntry(log, policy.Driver, [.. line]);
    }

    private static void WriteEntry(RotatingLog log, string driver, byte[] k8sLine)
    {
        if (driver != "json-file")
        {
            log.Write([.. k8sLine, (byte)'\n']);
            return;
        }
        if (ToJson(k8sLine) is { } json) log.Write(json);
    }

    /// <summary>
    /// A k8s-file line ("TIME STREAM F|P TEXT") as a json-file line: {"log":TEXT plus "\n" unless
    /// partial,"stream":STREAM,"time":TIME in UTC, RFC 3339 with nanoseconds}.
    /// </summary>
    public static byte[]? ToJson(ReadOnlySpan<byte> k8sLine)
    {
        string text = Encoding.UTF8.GetString(k8sLine);
        string[] parts = text.Split(' ', 4);
        if (parts.Length < 3 || !DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset time)) return null;
        using MemoryStream stream = new();
        using (Utf8JsonWriter writer = new(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("log", (parts.Length > 3 ? parts[3] : "") + (parts[2] == "P" ? "" : "\n"));
            writer.WriteString("stream", parts[1]);
            writer.WriteString("time", Rfc3339Nano(parts[0], time));
            writer.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>conmon's timestamp in UTC, keeping its nanoseconds when it is already UTC (Go's RFC3339Nano trims trailing zeros).</summary>
    private static string Rfc3339Nano(string conmonTime, DateTimeOffset time)
    {
        string utc;
        if (time.Offset == TimeSpan.Zero && conmonTime.IndexOf('.') is > 0 and int dot)
        {
            int end = dot + 1;
            while (end < conmonTime.Length && char.IsAsciiDigit(conmonTime[end])) end++;
            utc = conmonTime[..end];
        }
        else utc = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
        return (utc.Contains('.') ? utc.TrimEnd('0').TrimEnd('.') : utc) + "Z";
    }
}
