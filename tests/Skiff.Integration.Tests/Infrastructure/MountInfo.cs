using System.Text;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>One line of /proc/PID/mountinfo (proc(5)).</summary>
public sealed record MountEntry(
    string Root,
    string MountPoint,
    IReadOnlyList<string> MountOptions,
    IReadOnlyList<string> OptionalFields,
    string FsType,
    string Source,
    IReadOnlyList<string> SuperOptions)
{
    public bool ReadOnly => MountOptions.Contains("ro");

    public bool Has(string mountOption) => MountOptions.Contains(mountOption);

    public override string ToString() =>
        $"{MountPoint} ({FsType} from {Source}, root {Root}) {string.Join(',', MountOptions)} - {string.Join(',', SuperOptions)}";
}

public static class MountInfo
{
    public static IReadOnlyList<MountEntry> Parse(string text)
    {
        var entries = new List<MountEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (separator < 0 || fields.Length < separator + 3)
                throw new FormatException($"not a mountinfo line: {line}");
            entries.Add(new MountEntry(
                Unescape(fields[3]),
                Unescape(fields[4]),
                fields[5].Split(','),
                fields[6..separator],
                fields[separator + 1],
                Unescape(fields[separator + 2]),
                fields.Length > separator + 3 ? fields[separator + 3].Split(',') : []));
        }
        return entries;
    }

    public static IReadOnlyList<MountEntry> OfThisProcess() => Parse(File.ReadAllText("/proc/self/mountinfo"));

    /// <summary>Mounts in this process's namespace at or below <paramref name="dir"/>, deepest first.</summary>
    public static IReadOnlyList<MountEntry> Under(string dir)
    {
        var prefix = dir.TrimEnd('/') + "/";
        return OfThisProcess()
            .Where(m => m.MountPoint == dir.TrimEnd('/') || m.MountPoint.StartsWith(prefix, StringComparison.Ordinal))
            .Reverse()
            .ToList();
    }

    /// <summary>The last (visible) mount at exactly this mount point.</summary>
    public static MountEntry? At(IReadOnlyList<MountEntry> table, string mountPoint) =>
        table.LastOrDefault(m => m.MountPoint == mountPoint);

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var sb = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
