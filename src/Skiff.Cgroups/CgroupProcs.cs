using System.Globalization;

namespace Skiff.Cgroups;

/// <summary>cgroup.procs: joining a cgroup, and listing who is in one.</summary>
internal static class CgroupProcs
{
    public static void Add(string dir, int pid) => CgroupFile.Write(dir, "cgroup.procs", pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>The processes in dir and every cgroup below it, sorted; none when dir is gone.</summary>
    public static IReadOnlyList<int> Recursive(string dir)
    {
        var pids = new SortedSet<int>();
        Collect(dir, pids);
        return [.. pids];
    }

    private static void Collect(string dir, SortedSet<int> pids)
    {
        string? text = CgroupFile.TryRead(dir + "/cgroup.procs", out _);
        if (text is null) return;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) pids.Add(pid);
        string[] children;
        try
        {
            children = Directory.GetDirectories(dir);
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        foreach (string child in children) Collect(child, pids);
    }
}
