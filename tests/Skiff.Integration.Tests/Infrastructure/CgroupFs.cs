namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// Every cgroup hierarchy mounted on this host (this machine is hybrid: v1 controllers, name=systemd,
/// and a cgroup2 mount at /sys/fs/cgroup/unified), and the directories a container's cgroupsPath
/// becomes in each.
/// </summary>
public static class CgroupFs
{
    public static IReadOnlyList<string> Hierarchies { get; } = MountInfo.OfThisProcess()
        .Where(m => m.FsType is "cgroup" or "cgroup2")
        .Select(m => m.MountPoint)
        .Distinct()
        .ToList();

    /// <summary>The directory of a cgroupsPath (as in config.json) in each hierarchy, existing or not.</summary>
    public static IEnumerable<string> DirectoriesOf(string cgroupsPath) =>
        Hierarchies.Select(h => Path.Combine(h, cgroupsPath.TrimStart('/')));

    public static IReadOnlyList<string> ExistingDirectoriesOf(string cgroupsPath) =>
        DirectoriesOf(cgroupsPath).Where(Directory.Exists).ToList();

    /// <summary>
    /// Makes the cgroup in every hierarchy, level by level. A new v1 cpuset cgroup takes its parent's
    /// cpus and mems: with them empty no task may join it.
    /// </summary>
    public static void Create(string cgroupsPath)
    {
        foreach (var hierarchy in Hierarchies)
        {
            var dir = hierarchy;
            foreach (var part in cgroupsPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                var parent = dir;
                dir = Path.Combine(dir, part);
                if (Directory.Exists(dir))
                    continue;
                Directory.CreateDirectory(dir);
                foreach (var file in new[] { "cpuset.cpus", "cpuset.mems" })
                {
                    var own = Path.Combine(dir, file);
                    if (File.Exists(own) && File.ReadAllText(own).Trim().Length == 0)
                        File.WriteAllText(own, File.ReadAllText(Path.Combine(parent, file)));
                }
            }
        }
    }

    /// <summary>The path of a control file (memory.limit_in_bytes, pids.max ...) in whichever hierarchy has it.</summary>
    public static string FileOf(string cgroupsPath, string name) =>
        DirectoriesOf(cgroupsPath).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
        ?? throw new Xunit.Sdk.XunitException($"no {name} for {cgroupsPath} in any hierarchy");

    /// <summary>A control file's content, trimmed.</summary>
    public static string Read(string cgroupsPath, string name) => File.ReadAllText(FileOf(cgroupsPath, name)).Trim();

    /// <summary>Process ids in the cgroup (and its descendants) in any hierarchy.</summary>
    public static IReadOnlySet<int> ProcessesIn(string cgroupsPath)
    {
        var pids = new HashSet<int>();
        foreach (var dir in ExistingDirectoriesOf(cgroupsPath))
        {
            foreach (var procs in SafeEnumerate(dir, "cgroup.procs"))
            {
                foreach (var line in ReadLinesOrNone(procs))
                {
                    if (int.TryParse(line, out var pid))
                        pids.Add(pid);
                }
            }
        }
        return pids;
    }

    /// <summary>
    /// Kills whatever is left in the cgroup and removes its directories (children first) in every
    /// hierarchy. Only ever called on cgroups under the suite's private parent.
    /// </summary>
    public static IReadOnlyList<string> Remove(string cgroupsPath)
    {
        var problems = new List<string>();
        Thaw(cgroupsPath);
        HostProcesses.KillAndWait(ProcessesIn(cgroupsPath), problems);
        foreach (var dir in ExistingDirectoriesOf(cgroupsPath))
        {
            var all = Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories)
                .OrderByDescending(d => d.Length)
                .Append(dir);
            foreach (var d in all)
            {
                if (!RemoveDirectory(d))
                    problems.Add($"cgroup {d} could not be removed");
            }
        }
        return problems;
    }

    /// <summary>A frozen process cannot die of SIGKILL: thaw the cgroup and every cgroup below it first.</summary>
    private static void Thaw(string cgroupsPath)
    {
        foreach (var dir in ExistingDirectoriesOf(cgroupsPath))
        {
            foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).Append(dir))
            {
                foreach (var (file, value) in new[] { ("freezer.state", "THAWED"), ("cgroup.freeze", "0") })
                {
                    var path = Path.Combine(d, file);
                    try
                    {
                        if (File.Exists(path))
                            File.WriteAllText(path, value);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // the cgroup went away meanwhile
                    }
                }
            }
        }
    }

    private static bool RemoveDirectory(string dir)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Directory.Delete(dir, recursive: false); // rmdir(2): what a cgroup directory needs
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                return true;
            }
            catch (IOException)
            {
                Thread.Sleep(20); // EBUSY while the last task leaves the cgroup
            }
        }
        return false;
    }

    private static IEnumerable<string> SafeEnumerate(string dir, string file)
    {
        try
        {
            return Directory.EnumerateFiles(dir, file, SearchOption.AllDirectories).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static string[] ReadLinesOrNone(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return [];
        }
    }
}
