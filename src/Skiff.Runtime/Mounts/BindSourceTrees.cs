using Skiff.Linux;
using Skiff.Oci.Runtime;
using static Skiff.Linux.Kernel;

namespace Skiff.Runtime.Mounts;

/// <summary>
/// Bind sources opened by the parent, as host root, for a container with a user namespace: the
/// child's root maps to some other host user, who may not traverse the way to a source (a
/// directory only root may enter). Each source becomes a detached copy of its mount (open_tree
/// with OPEN_TREE_CLONE) that the child moves onto its destination (runc opens bind sources on
/// the host for the same reason).
/// </summary>
internal static class BindSourceTrees
{
    /// <summary>The trees by index in the config's mounts; every fd opened is added to owned, to be closed by the caller.</summary>
    public static unsafe Dictionary<int, int> Open(Spec spec, string bundleDir, List<int> owned)
    {
        var trees = new Dictionary<int, int>();
        IReadOnlyList<LinuxNamespace> namespaces = spec.Linux?.Namespaces ?? [];
        bool userNamespace = namespaces.Any(n => n.Type == "user");
        // A joined mount namespace resolves sources in its own view of the host, not ours.
        bool ownMountNamespace = namespaces.Any(n => n.Type == "mount" && string.IsNullOrEmpty(n.Path));
        if (!userNamespace || !ownMountNamespace) return trees;

        IReadOnlyList<Mount> mounts = spec.Mounts ?? [];
        for (int index = 0; index < mounts.Count; index++)
        {
            Mount mount = mounts[index];
            if (mount.Type == "cgroup" || string.IsNullOrEmpty(mount.Source)) continue;
            ParsedMountOptions options;
            try { options = MountOptions.Parse(mount.Options, mount.Destination); }
            catch (RuntimeException) { continue; } // the planner names the bad option
            if (!options.Bind && mount.Type != "bind") continue;
            string source = Launch.PathFacts.BindSourcePath(mount.Source, bundleDir);
            byte[] path = System.Text.Encoding.UTF8.GetBytes(source + "\0");
            long flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (options.Recursive ? AT_RECURSIVE : 0);
            long tree;
            fixed (byte* p = path) tree = Interop.Libc.Syscall(Syscall.OpenTree, AT_FDCWD, (long)p, flags, 0, 0, 0);
            // A source that cannot be opened here is left to the child's own bind, which names the error.
            if (tree < 0) continue;
            owned.Add((int)tree);
            trees[index] = (int)tree;
        }
        return trees;
    }
}
