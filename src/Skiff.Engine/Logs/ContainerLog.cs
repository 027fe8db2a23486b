using System.Globalization;
using System.Text;

namespace Skiff.Engine.Logs;

/// <summary>One line of a container's output as conmon logged it.</summary>
public sealed record LogEntry(DateTimeOffset Time, bool Stderr, string Text);

/// <summary>
/// Reads the k8s-file log conmon writes ("TIME STREAM F|P TEXT" per line, P marking a partial
/// line to be joined with the next), for <c>skiff logs</c>: all of it, the last N lines, a time
/// window, and following a live container until it exits.
/// </summary>
public static class ContainerLog
{
    /// <summary>
    /// The log's entries; with <paramref name="follow"/>, a null marks where the file ended when
    /// first read (what was there before is history, a tail applies to it) and entries go on
    /// arriving until the container stops.
    /// </summary>
    public static IEnumerable<LogEntry?> Read(string path, Func<bool> stillRunning, bool follow, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) yield break;
        bool caughtUp = false;
        using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using StreamReader reader = new(file, Encoding.UTF8);
        StringBuilder partial = new();
        StringBuilder pending = new();
        while (!cancellationToken.IsCancellationRequested)
        {
            string? chunk = ReadLine(reader, pending);
            if (chunk is null)
            {
                if (!follow) yield break;
                if (!caughtUp)
                {
                    caughtUp = true;
                    yield return null;
                }
                if (!stillRunning())
                {
                    // Output written between our last read and the exit is still to be shown.
                    while (ReadLine(reader, pending) is { } rest) if (Parse(rest, partial) is { } last) yield return last;
                    yield break;
                }
                Thread.Sleep(50);
                continue;
            }
            if (Parse(chunk, partial) is { } entry) yield return entry;
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

    private static LogEntry? Parse(string line, StringBuilder partial)
    {
        string[] parts = line.Split(' ', 4);
        if (parts.Length < 3) return null;
        if (!DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset time)) return null;
        string text = parts.Length > 3 ? parts[3] : "";
        if (parts[2] == "P")
        {
            partial.Append(text);
            return null;
        }
        if (partial.Length > 0)
        {
            text = partial.Append(text).ToString();
            partial.Clear();
        }
        return new LogEntry(time, parts[1] == "stderr", text);
    }
}
