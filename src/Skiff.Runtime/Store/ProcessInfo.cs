namespace Skiff.Runtime.Store;

/// <summary>What /proc says of a pid.</summary>
public static class ProcessInfo
{
    /// <summary>Start time (field 22 of /proc/pid/stat) and state letter, or null when the pid is gone.</summary>
    public static (ulong StartTime, char State)? Read(int pid)
    {
        if (pid <= 0) return null;
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
        int close = text.LastIndexOf(')');
        string[] fields = text[(close + 2)..].Split(' ');
        return (ulong.Parse(fields[19]), fields[0][0]);
    }

    /// <summary>True when the pid still names the process that was recorded, and it has not exited.</summary>
    public static bool IsAlive(int pid, ulong startTime) =>
        Read(pid) is { } info && info.StartTime == startTime && info.State is not ('Z' or 'X');
}
