namespace Skiff.Cgroups;

/// <summary>
/// A cleaned cgroupsPath: absolute (below each hierarchy's mount point), or relative, placed as runc
/// places it: on v1 and hybrid hosts below this process's own cgroup in each hierarchy (runc's fs
/// driver), on a pure v2 host below the parent of its own cgroup (runc's fs2 driver: the own cgroup
/// holds the runtime, so no controller could be enabled below it). An empty cgroupsPath is the
/// container id, relative. Relative paths depend on the cgroup of the runtime that resolves them:
/// clients call every verb from one place (absolute paths, which every engine sends, do not).
/// </summary>
internal sealed record CgroupsPath(string Value)
{
    public bool IsAbsolute => Value.StartsWith('/');

    public static CgroupsPath Resolve(string? cgroupsPath, string containerId, bool systemd)
    {
        if (systemd || LooksLikeSystemd(cgroupsPath))
            throw new CgroupException(
                $"systemd cgroup driver is not available: skiff has only the cgroupfs driver and {SystemdState()} " +
                $"(cgroupsPath \"{cgroupsPath}\"); use a path like \"/skiff/{containerId}\" without --systemd-cgroup");
        string raw = string.IsNullOrEmpty(cgroupsPath) ? containerId : cgroupsPath;
        if (string.IsNullOrEmpty(raw)) throw new CgroupException("cgroup: neither cgroupsPath nor a container id given");
        string cleaned = Clean(raw);
        if (cleaned is "/" or "") throw new CgroupException($"cgroup: cgroupsPath \"{raw}\" names the root cgroup, which a container cannot own");
        return new CgroupsPath(cleaned);
    }

    /// <summary>Lexical cleaning as runc does: no "..", "." or double slashes, and a relative path cannot climb above its parent.</summary>
    internal static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        string joined = string.Join('/', parts);
        return path.StartsWith('/') ? "/" + joined : joined;
    }

    // "system.slice:docker:abc": three colon-separated parts and no slash is systemd's unit notation.
    private static bool LooksLikeSystemd(string? path) =>
        path is not null && !path.Contains('/') && path.Split(':').Length == 3;

    private static string SystemdState() =>
        Directory.Exists("/run/systemd/system") ? "systemd's D-Bus API is not used" : "no systemd runs on this host";
}
