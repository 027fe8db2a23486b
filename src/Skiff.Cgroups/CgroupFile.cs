using System.Globalization;
using System.Text;
using Skiff.Linux;

namespace Skiff.Cgroups;

/// <summary>
/// Reads and writes cgroup control files with one open/write/close each: the kernel parses a control
/// file per write(2), so buffering or truncation would change what it sees, and errno must reach the
/// error message unaltered ("cgroup: writing "-5" to .../cpu.cfs_quota_us: invalid argument").
/// </summary>
internal static unsafe class CgroupFile
{
    private const int ReadOnly = 0, WriteOnly = 1, CloseOnExec = 0x80000;

    public static void Write(string dir, string file, string value)
    {
        string path = dir + "/" + file;
        int errno = TryWrite(path, value);
        if (errno != 0)
            throw new CgroupException($"cgroup: writing \"{value}\" to {path}: {Linux.Errno.Describe(errno)}", errno);
    }

    /// <summary>Writes and returns 0, or the errno, for callers that retry or reorder on particular failures.</summary>
    public static int TryWrite(string path, string value)
    {
        int fd = Interop.Libc.Open(path, WriteOnly | CloseOnExec, 0);
        if (fd < 0) return Linux.Errno.Last;
        try
        {
            byte[] bytes = Encoding.UTF8.GetBytes(value);
            fixed (byte* p = bytes)
            {
                nint written = Interop.Libc.Write(fd, p, bytes.Length);
                return written < 0 ? Linux.Errno.Last : 0;
            }
        }
        finally
        {
            Interop.Libc.Close(fd);
        }
    }

    public static string Read(string dir, string file)
    {
        string path = dir + "/" + file;
        string? text = TryRead(path, out int errno);
        return text ?? throw new CgroupException($"cgroup: reading {path}: {Linux.Errno.Describe(errno)}", errno);
    }

    /// <summary>The file's text, or null when it does not exist (optional kernel features).</summary>
    public static string? ReadIfExists(string dir, string file)
    {
        string path = dir + "/" + file;
        string? text = TryRead(path, out int errno);
        if (text is null && errno != Linux.Errno.ENOENT)
            throw new CgroupException($"cgroup: reading {path}: {Linux.Errno.Describe(errno)}", errno);
        return text;
    }

    public static string? TryRead(string path, out int errno)
    {
        errno = 0;
        int fd = Interop.Libc.Open(path, ReadOnly | CloseOnExec, 0);
        if (fd < 0)
        {
            errno = Linux.Errno.Last;
            return null;
        }
        try
        {
            byte[] buffer = new byte[4096];
            int length = 0;
            while (true)
            {
                if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                nint n;
                fixed (byte* p = &buffer[length]) n = Interop.Libc.Read(fd, p, buffer.Length - length);
                if (n < 0)
                {
                    errno = Linux.Errno.Last;
                    if (errno == Linux.Errno.EINTR) continue;
                    return null;
                }
                if (n == 0) return Encoding.UTF8.GetString(buffer, 0, length);
                length += (int)n;
            }
        }
        finally
        {
            Interop.Libc.Close(fd);
        }
    }

    public static bool Exists(string dir, string file) => File.Exists(dir + "/" + file);

    /// <summary>A single number; "max" (v2) reads as ulong.MaxValue like the kernel's v1 "unlimited".</summary>
    public static ulong ReadUInt(string dir, string file) => ParseUInt(Read(dir, file).Trim(), dir, file);

    public static ulong? ReadUIntIfExists(string dir, string file)
    {
        string? text = ReadIfExists(dir, file);
        return text is null ? null : ParseUInt(text.Trim(), dir, file);
    }

    /// <summary>"key value" lines (memory.stat, cpu.stat, memory.events) as a dictionary.</summary>
    public static Dictionary<string, ulong> ReadKeyValues(string dir, string file) => ParseKeyValues(Read(dir, file), dir, file);

    public static Dictionary<string, ulong> ParseKeyValues(string text, string dir, string file)
    {
        var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int space = line.IndexOf(' ');
            if (space <= 0) throw Malformed(dir, file, line);
            values[line[..space]] = ParseUInt(line[(space + 1)..].Trim(), dir, file);
        }
        return values;
    }

    public static ulong ParseUInt(string text, string dir, string file)
    {
        if (text == "max") return ulong.MaxValue;
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)) return value;
        // v1 reports some "unlimited" values as -1 (e.g. cpu.cfs_quota_us); callers of ReadUInt never ask for those.
        throw Malformed(dir, file, text);
    }

    public static CgroupException Malformed(string dir, string file, string line) =>
        new($"cgroup: unexpected content in {dir}/{file}: \"{line}\"");
}
