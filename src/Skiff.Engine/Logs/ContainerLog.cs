using System.Globalization;
using System.Text;
using System.Text.Json;
using Skiff.Images.Fs;

namespace Skiff.Engine.Logs;

/// <summary>One line of a container's output as conmon logged it; a last line the container never ended has no <paramref name="Newline"/>.</summary>
public sealed record LogEntry(DateTimeOffset Time, bool Stderr, string Text, bool Newline = true);

/// <summary>
/// Reads a container's log for <c>skiff logs</c>, in either format: k8s-file ("TIME STREAM F|P
/// TEXT" per line, P marking a partial line to be joined with the next) or Docker's json-file
/// ({"log","stream","time"} per line, a log without its newline being partial); the rotated files
/// first, oldest first; all of it, or following a live container until it exits, across rotations.
/// </summary>
public static class ContainerLog
{
    /// <summary>
    /// The log's entries; with <paramref name="follow"/>, a null marks where the file ended when
    /// first read (what was there before is history, a tail applies to it) and entries go on
    /// arriving until the container stops. <paramref name="writerLock"/> is held by the log writer
    /// while it still has output to write; a stopped container's log is read once it is free.
    /// </summary>
    public static IEnumerable<LogEntry?> Read(string path, string driver, string writerLock, Func<bool> stillRunning, bool follow, CancellationToken cancellationToken)
    {
        if (!stillRunning()) WaitForWriter(writerLock);
        bool json = driver == "json-file";
        Partials partial = new();
        List<string> generations = RotatingLog.Generations(path);
        foreach (string rotated in generations.Take(generations.Count - 1))
        {
            // A file rotated away while we listed them was read as the next one.
            if (TryOpen(rotated) is not { } old) continue;
            using (old)
                while (ReadLine(old, new StringBuilder()) is { } line) if (Parse(line, json, partial) is { } entry) yield return entry;
        }
        if (!File.Exists(path))
        {
            foreach (LogEntry unfinished in partial.Rest()) yield return unfinished;
            yield break;
        }
        bool caughtUp = false;
        FileStream file = Open(path);
        StreamReader reader = new(file, Encoding.UTF8);
        try
        {
            StringBuilder pending = new();
            while (!cancellationToken.IsCancellationRequested)
            {
                string? chunk = ReadLine(reader, pending);
                if (chunk is not null)
                {
                    if (Parse(chunk, json, partial) is { } entry) yield return entry;
                    continue;
                }
                if (!follow) break;
                if (!caughtUp)
                {
                    caughtUp = true;
                    yield return null;
                }
                if (Rotated(path, file))
                {
                    // The writer moved on to a new file; what is left of this one was written before.
                    reader.Dispose();
                    file = Open(path);
                    reader = new StreamReader(file, Encoding.UTF8);
                    pending.Clear();
                    continue;
                }
                if (!stillRunning())
                {
                    WaitForWriter(writerLock);
                    // Output written between our last read and the exit is still to be shown.
                    while (ReadLine(reader, pending) is { } rest) if (Parse(rest, json, partial) is { } last) yield return last;
                    if (Rotated(path, file))
                    {
                        reader.Dispose();
                        file = Open(path);
                        reader = new StreamReader(file, Encoding.UTF8);
                        while (ReadLine(reader, new StringBuilder()) is { } rest) if (Parse(rest, json, partial) is { } last) yield return last;
                    }
                    break;
                }
                Thread.Sleep(50);
            }
        }
        finally
        {
            reader.Dispose();
        }
        foreach (LogEntry unfinished in partial.Rest()) yield return unfinished;
    }

    private static void WaitForWriter(string writerLock)
    {
        if (File.Exists(writerLock)) FileLock.Shared(writerLock).Dispose();
    }

    private static FileStream Open(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    private static StreamReader? TryOpen(string path)
    {
        try
        {
            return new StreamReader(Open(path), Encoding.UTF8);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Whether the path now names another file than the one open (a rotation).</summary>
    private static bool Rotated(string path, FileStream open)
    {
        try
        {
            return Skiff.Linux.Interop.Libc.FstatAt(Skiff.Linux.FileFlags.AT_FDCWD, path, out Skiff.Linux.Interop.StatBuffer now, 0) == 0
                && Skiff.Linux.Interop.Libc.Fstat((int)open.SafeFileHandle.DangerousGetHandle(), out Skiff.Linux.Interop.StatBuffer current) == 0
                && now.Inode != current.Inode;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>A whole line, or null (keeping a line still being written for the next call).</summary>
    private static string? ReadLine(StreamReader reader, StringBuilder pending)
    {
        while (true)
        {
            int c = reader.Read();
            if (c < 0) return null;
            if (c == '\n')
            {
                string line = pending.ToString();
                pending.Clear();
                return line;
            }
            pending.Append((char)c);
        }
    }

    private static LogEntry? Parse(string line, bool json, Partials partial) => json ? ParseJson(line, partial) : ParseK8s(line, partial);

    private static LogEntry? ParseK8s(string line, Partials partial)
    {
        string[] parts = line.Split(' ', 4);
        if (parts.Length < 3) return null;
        if (!DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset time)) return null;
        return Complete(time, parts[1] == "stderr", parts.Length > 3 ? parts[3] : "", parts[2] == "P", partial);
    }

    private static LogEntry? ParseJson(string line, Partials partial)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            string text = root.GetProperty("log").GetString() ?? "";
            if (!DateTimeOffset.TryParse(root.GetProperty("time").GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time)) return null;
            bool whole = text.EndsWith('\n');
            return Complete(time, root.GetProperty("stream").GetString() == "stderr", whole ? text[..^1] : text, !whole, partial);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static LogEntry? Complete(DateTimeOffset time, bool stderr, string text, bool isPartial, Partials partial)
    {
        StringBuilder pending = partial.Of(stderr);
        if (pending.Length == 0) partial.Since[stderr ? 1 : 0] = time;
        if (isPartial)
        {
            pending.Append(text);
            return null;
        }
        if (pending.Length > 0)
        {
            text = pending.Append(text).ToString();
            pending.Clear();
        }
        return new LogEntry(time, stderr, text);
    }

    /// <summary>Each stream's line still being put together from partial entries.</summary>
    private sealed class Partials
    {
        private readonly StringBuilder[] _streams = [new(), new()];

        public DateTimeOffset[] Since { get; } = new DateTimeOffset[2];

        public StringBuilder Of(bool stderr) => _streams[stderr ? 1 : 0];

        /// <summary>What the container wrote last without ending the line, as Docker shows it: without a newline.</summary>
        public IEnumerable<LogEntry> Rest()
        {
            for (int i = 0; i < 2; i++)
                if (_streams[i].Length > 0) yield return new LogEntry(Since[i], i == 1, _streams[i].ToString(), Newline: false);
        }
    }
}
