namespace Skiff.Linux;

/// <summary>One line of /proc/self/mountinfo, its paths unescaped.</summary>
public sealed record MountEntry(string Root, string MountPoint, string FsType, string SuperOptions);

/// <summary>
/// A snapshot of this mount namespace's mount table (proc_pid_mountinfo(5)). One reader for every
/// part of skiff: on a busy host the table runs to hundreds of lines, and each whole read and
/// split costs milliseconds of a runtime whose whole run is a few tens, so a caller that needs it
/// twice reads it once and keeps the snapshot.
/// </summary>
public sealed class MountTable
{
    private MountTable(IReadOnlyList<MountEntry> entries) => Entries = entries;

    /// <summary>The mounts in the order the kernel lists them (parents before what is mounted over them).</summary>
    public IReadOnlyList<MountEntry> Entries { get; }

    /// <summary>This mount namespace's table, now.</summary>
    public static MountTable Read() => Parse(File.ReadAllText("/proc/self/mountinfo"));

    /// <summary>A table from mountinfo's text; a line without the "-" separator is skipped.</summary>
    public static MountTable Parse(string text)
    {
        var entries = new List<MountEntry>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-", Math.Min(6, fields.Length));
            if (separator < 0 || separator + 1 >= fields.Length) continue;
            entries.Add(new MountEntry(
                Unescape(fields[3]),
                Unescape(fields[4]),
                fields[separator + 1],
                separator + 3 < fields.Length ? fields[separator + 3] : ""));
        }
        return new MountTable(entries);
    }

    /// <summary>Whether something is mounted exactly on <paramref name="path"/>.</summary>
    public bool IsMountPoint(string path) => Entries.Any(e => e.MountPoint == path);

    /// <summary>The mount point holding <paramref name="path"/>: the longest mount point that is a prefix of it.</summary>
    public string? MountPointOf(string path)
    {
        string? best = null;
        foreach (MountEntry entry in Entries)
        {
            string mountPoint = entry.MountPoint;
            bool contains = mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);
            if (contains && (best is null || mountPoint.Length > best.Length)) best = mountPoint;
        }
        return best;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo (octal).</summary>
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var text = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                text.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else text.Append(field[i]);
        }
        return text.ToString();
    }

    private static bool IsOctal(string field, int start) =>
        start + 3 <= field.Length && field[start] is >= '0' and <= '3' && field[start + 1] is >= '0' and <= '7' && field[start + 2] is >= '0' and <= '7';
}
