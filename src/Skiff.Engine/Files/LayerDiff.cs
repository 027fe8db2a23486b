using Skiff.Images.Archive;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Engine.Files;

public enum ChangeKind
{
    Modified,
    Added,
    Deleted,
}

/// <summary>One line of docker diff: "C /etc", "A /etc/new", "D /etc/old".</summary>
public sealed record FileChange(ChangeKind Kind, string Path)
{
    public override string ToString() => $"{Kind switch { ChangeKind.Added => 'A', ChangeKind.Deleted => 'D', _ => 'C' }} {Path}";
}

/// <summary>
/// The changes a container's overlayfs upper directory holds against its image's layers. Every
/// name in the upper directory is a change: a 0:0 character device is a deletion, anything else
/// is an addition unless the image has the path, and then a change (a directory that is only there
/// because something below it changed is "C", as Docker reports it). Everything below an opaque
/// directory is new.
/// </summary>
public static class LayerDiff
{
    /// <param name="exclude">What of the upper directory is not the container's change (by path relative to the root, and lstat).</param>
    public static List<FileChange> Changes(string upperDirectory, IReadOnlyList<string> lowerDirectories, Func<string, Interop.StatBuffer, bool>? exclude = null)
    {
        List<UnixFd> lowers = [];
        try
        {
            foreach (string lower in lowerDirectories) lowers.Add(ScopedFs.OpenDirectory(lower));
            List<FileChange> changes = [];
            using UnixFd upper = ScopedFs.OpenDirectory(upperDirectory);
            Walk(upper, "", lowers, opaqueAbove: false, exclude, changes);
            changes.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            return changes;
        }
        finally
        {
            foreach (UnixFd lower in lowers) lower.Dispose();
        }
    }

    private static void Walk(UnixFd directory, string path, List<UnixFd> lowers, bool opaqueAbove, Func<string, Interop.StatBuffer, bool>? exclude, List<FileChange> changes)
    {
        foreach (string name in ScopedFs.ListNames(directory))
        {
            string child = path + "/" + name;
            if (Interop.Libc.FstatAt(directory.Value, name, out Interop.StatBuffer stat, FileFlags.AT_SYMLINK_NOFOLLOW) != 0) continue;
            if (exclude?.Invoke(child[1..], stat) == true) continue;
            if (stat.FileType == FileFlags.S_IFCHR && stat.RDevice == 0)
            {
                changes.Add(new FileChange(ChangeKind.Deleted, child));
                continue;
            }
            bool inImage = !opaqueAbove && InImage(lowers, child[1..]);
            changes.Add(new FileChange(inImage ? ChangeKind.Modified : ChangeKind.Added, child));
            if (!stat.IsDirectory) continue;
            int fd = Interop.Libc.OpenAt(directory.Value, name, FileFlags.O_RDONLY | FileFlags.O_DIRECTORY | FileFlags.O_NOFOLLOW | FileFlags.O_CLOEXEC, 0);
            if (fd < 0) throw new EngineException($"diff: {child}: {Errno.Describe(Errno.Last)}");
            using UnixFd sub = new(fd);
            Walk(sub, child, lowers, opaqueAbove || !inImage || IsOpaque(directory, name), exclude, changes);
        }
    }

    /// <summary>Whether the merged image layers show <paramref name="relative"/>: the topmost layer that has it, or a whiteout or opaque directory above it, decides.</summary>
    private static bool InImage(List<UnixFd> lowers, string relative)
    {
        (string parent, string name) = TarPath.Split(relative);
        foreach (UnixFd lower in lowers)
        {
            int fd = ScopedFs.TryOpen(lower.Value, parent, FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.Exact);
            if (fd < 0) continue;
            using UnixFd directory = new(fd);
            if (Interop.Libc.FstatAt(directory.Value, name, out Interop.StatBuffer stat, FileFlags.AT_SYMLINK_NOFOLLOW) == 0)
                return !(stat.FileType == FileFlags.S_IFCHR && stat.RDevice == 0);
            if (parent.Length > 0 && IsOpaqueAt(lower, parent)) return false;
        }
        return false;
    }

    private static bool IsOpaqueAt(UnixFd root, string relative)
    {
        (string parent, string name) = TarPath.Split(relative);
        int fd = ScopedFs.TryOpen(root.Value, parent, FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.Exact);
        if (fd < 0) return false;
        using UnixFd directory = new(fd);
        return IsOpaque(directory, name);
    }

    internal static unsafe bool IsOpaque(UnixFd parent, string name)
    {
        byte value = 0;
        nint length = Interop.Libc.LGetXattr($"{parent.ProcPath}/{name}", Whiteouts.OverlayOpaqueXattr, &value, 1);
        return length == 1 && value == (byte)'y';
    }
}
