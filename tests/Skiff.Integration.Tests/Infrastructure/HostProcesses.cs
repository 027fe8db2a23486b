namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>Finds and ends processes a container left on the host.</summary>
public static class HostProcesses
{
    private const int SIGKILL = 9;

    /// <summary>
    /// Processes whose root, working directory or executable lies under <paramref name="dir"/>: a
    /// container's processes see their rootfs as / but the host sees its real path.
    /// </summary>
    public static IReadOnlySet<int> Using(string dir)
    {
        var prefix = dir.TrimEnd('/') + "/";
        var self = Environment.ProcessId;
        var found = new HashSet<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == self)
                continue;
            foreach (var link in new[] { "root", "cwd", "exe" })
            {
                var target = ReadLink(Path.Combine(entry, link));
                if (target is not null && (target + "/").StartsWith(prefix, StringComparison.Ordinal))
                {
                    found.Add(pid);
                    break;
                }
            }
        }
        return found;
    }

    public static bool IsAlive(int pid)
    {
        // A zombie still has a /proc entry; it is dead for our purposes.
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static void KillAndWait(IEnumerable<int> pids, List<string> problems)
    {
        var targets = pids.Where(p => p > 1 && p != Environment.ProcessId).ToList();
        foreach (var pid in targets)
            Native.Kill(pid, SIGKILL);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        foreach (var pid in targets)
        {
            while (IsAlive(pid) && DateTime.UtcNow < deadline)
                Thread.Sleep(10);
            if (IsAlive(pid))
                problems.Add($"process {pid} survived SIGKILL");
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
