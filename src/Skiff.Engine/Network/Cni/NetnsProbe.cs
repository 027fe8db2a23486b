namespace Skiff.Engine.Network.Cni;

/// <summary>Whether a netns path still names a live network namespace.</summary>
internal static class NetnsProbe
{
    /// <summary>
    /// A bind-mounted netns is alive while its nsfs mount is there; the file it was mounted on
    /// outlives it, and handing that empty file to a plugin makes the plugin fail instead of
    /// treating the namespace as gone.
    /// </summary>
    public static bool IsAlive(string path)
    {
        if (path.Length == 0 || !File.Exists(path)) return false;
        if (path.StartsWith("/proc/", StringComparison.Ordinal)) return true;
        string full = Path.GetFullPath(path);
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER"
            string[] fields = line.Split(' ');
            if (fields.Length < 5 || Unescape(fields[4]) != full) continue;
            int separator = Array.IndexOf(fields, "-");
            if (separator > 0 && separator + 1 < fields.Length && fields[separator + 1] == "nsfs") return true;
        }
        return false;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash in a path as \ooo octal.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        System.Text.StringBuilder text = new();
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else text.Append(field[i]);
        }
        return text.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
