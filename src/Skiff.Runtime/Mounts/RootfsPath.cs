namespace Skiff.Runtime.Mounts;

/// <summary>
/// Resolves a path inside a rootfs the way the container will see it: symlinks followed, but an
/// absolute link target or ".." never leaves the rootfs. The parent uses it to turn a mount
/// destination such as /escape/mnt (with /escape a link to /somewhere) into the directory that
/// must be created, somewhere/mnt; the child then re-resolves with RESOLVE_IN_ROOT, so a rootfs
/// that changes in between still cannot lead a mount outside (CVE-2021-30465).
/// </summary>
public static class RootfsPath
{
    private const int MaxLinks = 255;

    /// <summary>The resolved path, relative to the rootfs, with no leading slash ("." for the root itself).</summary>
    public static string Resolve(string rootfs, string path) => Walk(path, relative => ReadLink(Path.Combine(rootfs, relative)));

    /// <summary>The path as it is spelled, "." and ".." taken away as Resolve takes them: where it leads in a rootfs with no symlink on its way.</summary>
    public static string Clean(string path) => Walk(path, _ => null);

    /// <summary>What Resolve throws for a way that loops (or a chain of more links than the kernel follows).</summary>
    public static RuntimeException TooManyLinks(string path) => new($"resolving {path} in the rootfs: too many levels of symbolic links");

    /// <param name="readLink">The target of the symlink at a rootfs-relative path; null where there is none.</param>
    private static string Walk(string path, Func<string, string?> readLink)
    {
        var resolved = new List<string>();
        var pending = new Stack<string>(Split(path).Reverse());
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            string? target = readLink(Path.Combine(string.Join('/', resolved), part));
            if (target is null)
            {
                resolved.Add(part);
                continue;
            }
            if (++links > MaxLinks) throw TooManyLinks(path);
            if (target.StartsWith('/')) resolved.Clear();
            foreach (string p in Split(target).Reverse()) pending.Push(p);
        }
        return resolved.Count == 0 ? "." : string.Join('/', resolved);
    }

    private static IEnumerable<string> Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string? ReadLink(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists || Directory.Exists(path) || info.LinkTarget is not null ? info.LinkTarget : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
