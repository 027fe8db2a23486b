using Skiff.Linux;

namespace Skiff.Cgroups;

/// <summary>Makes a cgroup directory with its parents, remembering which ones it made so a failed setup can take exactly those back.</summary>
internal sealed class DirectoryTree
{
    private readonly List<string> _made = [];

    /// <summary>
    /// mkdir for every level from below the mount point down to dir. prepare runs on each level this
    /// call made and on dir itself (cpuset needs its values filled before anything lives below).
    /// </summary>
    public void MakeAll(string mountPoint, string dir, Action<string>? prepare)
    {
        string root = mountPoint.TrimEnd('/');
        if (!dir.StartsWith(root + "/", StringComparison.Ordinal))
            throw new CgroupException($"cgroup: {dir} is not inside the hierarchy mounted at {mountPoint}");
        string current = root;
        foreach (string part in dir[(root.Length + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current += "/" + part;
            bool made = Make(current);
            if (made) _made.Add(current);
            if (made || current == dir) prepare?.Invoke(current);
        }
    }

    /// <summary>Removes the parents this object made, deepest first, leaving any that someone else now uses.</summary>
    public void RemoveCreatedParents()
    {
        for (int i = _made.Count - 1; i >= 0; i--)
        {
            // A busy or non-empty parent holds another container's cgroup: it stays.
            if (Interop.Libc.Rmdir(_made[i]) == 0 || Errno.Last == Errno.ENOENT) _made.RemoveAt(i);
        }
    }

    private static bool Make(string dir)
    {
        if (Interop.Libc.Mkdir(dir, 0b111_101_101) == 0) return true;
        int errno = Errno.Last;
        if (errno == Errno.EEXIST) return false;
        throw new CgroupException($"cgroup: creating {dir}: {Errno.Describe(errno)}", errno);
    }
}
