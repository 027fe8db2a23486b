using Skiff.Cgroups;

namespace Skiff.Engine.Monitor;

/// <summary>
/// Where conmon lives, as Podman places it with the cgroupfs manager: <c>PARENT/conmon</c> in every
/// hierarchy, beside the containers' own cgroups, so a monitor is neither charged to nor killed
/// with the cgroup of whoever ran <c>skiff run</c> (a login session, a CI job). conmon is moved
/// while it waits on its start pipe, before it forks, so everything it starts is born there.
/// The cgroup is shared by the parent's conmons and removed when the last one is gone: conmon's
/// exit command, born in it, moves itself to the hierarchies' roots at its start, and at its end
/// its conmon, which only waits for it to exit, then removes the cgroup if nothing else is in it.
/// </summary>
public static class ConmonCgroup
{
    private const string Leaf = "conmon";
    private const int MoveAttempts = 8;

    /// <summary>
    /// The hierarchies' mounts, read once per process: each read of /proc/self/mountinfo costs
    /// milliseconds on a host with many container mounts, and a run or an exit command asks up to
    /// three times. Only mount facts are used, which moving this process does not change.
    /// </summary>
    private static readonly Lazy<(string MountPoint, string Root)[]> HierarchyMounts = new(() => [.. Mounts(CgroupLayout.Detect())]);

    /// <summary>The conmon cgroup under a container's cgroup parent; null for a relative parent (it would depend on who asks).</summary>
    public static string? PathUnder(string cgroupParent) =>
        cgroupParent.StartsWith('/') ? cgroupParent.TrimEnd('/') + "/" + Leaf : null;

    /// <summary>Moves <paramref name="pid"/> into the cgroup in every hierarchy, making it where missing.</summary>
    public static void Enter(string cgroupPath, int pid)
    {
        foreach ((string mount, string directory) in Directories(cgroupPath))
        {
            // Other monitors share the cgroup: a concurrent last exit command may remove it between
            // mkdir and the move (ENOENT, ENODEV), and a concurrent first run may have made it but
            // not yet given a v1 cpuset its cpus and mems (ENOSPC on the move). Each of those
            // passes in moments, so the whole step is tried again a few times.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    Make(mount, directory);
                    File.WriteAllText(Path.Combine(directory, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    if (e is IOException && attempt < MoveAttempts) { Thread.Sleep(attempt); continue; }
                    throw new EngineException($"moving conmon {pid} to the cgroup {directory}: {e.Message}");
                }
            }
        }
    }

    /// <summary>
    /// Called by conmon's exit command: when this process lives in a conmon cgroup, it moves to
    /// each hierarchy's root and returns that cgroup (for <see cref="RemoveIfUnused"/>), else null.
    /// </summary>
    public static string? Leave()
    {
        string? inside = null;
        foreach (string line in File.ReadAllLines("/proc/self/cgroup"))
        {
            string path = line[(line.IndexOf(':', line.IndexOf(':') + 1) + 1)..];
            if (path.EndsWith("/" + Leaf, StringComparison.Ordinal)) inside = path;
        }
        if (inside is null) return null;
        ToRoots(Environment.ProcessId);
        return inside;
    }

    /// <summary>
    /// The exit command's last act: its conmon (the parent, which now only waits for it) leaves
    /// the cgroup too, and the cgroup goes if no other monitor is in it.
    /// </summary>
    public static void Release(string cgroupPath)
    {
        int conmon = ParentPid();
        try
        {
            if (conmon > 1 && File.ReadAllText($"/proc/{conmon}/comm").Trim() == "conmon"
                && File.ReadAllLines($"/proc/{conmon}/cgroup").Any(line => line.EndsWith(":" + cgroupPath, StringComparison.Ordinal)))
                ToRoots(conmon);
        }
        catch (IOException) { }
        RemoveIfUnused(cgroupPath);
    }

    private static int ParentPid()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void ToRoots(int pid)
    {
        foreach (string mount in HierarchyMounts.Value.Select(m => m.MountPoint))
        {
            try
            {
                File.WriteAllText(Path.Combine(mount, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Removes the cgroup from every hierarchy where no process is left in it (rmdir refuses otherwise).</summary>
    public static void RemoveIfUnused(string cgroupPath)
    {
        foreach ((_, string directory) in Directories(cgroupPath))
        {
            try
            {
                Directory.Delete(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static IEnumerable<(string MountPoint, string Root)> Mounts(CgroupLayout layout)
    {
        foreach (CgroupHierarchy hierarchy in layout.Hierarchies) yield return (hierarchy.MountPoint, hierarchy.Root);
        if (layout.UnifiedMountPoint is { } unified) yield return (unified, layout.UnifiedRoot);
    }

    private static IEnumerable<(string MountPoint, string Directory)> Directories(string cgroupPath) =>
        HierarchyMounts.Value.Select(m => (m.MountPoint, Below(m.MountPoint, m.Root, cgroupPath)));

    /// <summary>The cgroup's directory in a mount whose root (in a cgroup namespace or a bind) may be below the hierarchy's.</summary>
    private static string Below(string mountPoint, string root, string cgroup)
    {
        string relative = root != "/" && (cgroup == root || cgroup.StartsWith(root + "/", StringComparison.Ordinal)) ? cgroup[root.Length..] : cgroup;
        return mountPoint.TrimEnd('/') + relative;
    }

    /// <summary>
    /// mkdir -p inside a mount; a v1 cpuset cgroup gets its parent's cpus and mems, without which no
    /// process may join. The copy is made whenever they are empty, not only by whoever made the
    /// directory: that one may not have got to it yet.
    /// </summary>
    private static void Make(string mountPoint, string directory)
    {
        if (!Directory.Exists(directory))
        {
            Make(mountPoint, Path.GetDirectoryName(directory)!);
            Directory.CreateDirectory(directory);
        }
        foreach (string file in (string[])["cpuset.cpus", "cpuset.mems"])
        {
            string own = Path.Combine(directory, file), parent = Path.Combine(Path.GetDirectoryName(directory)!, file);
            if (File.Exists(own) && File.Exists(parent) && File.ReadAllText(own).Trim().Length == 0) File.WriteAllText(own, File.ReadAllText(parent));
        }
    }
}
