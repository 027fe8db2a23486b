using System.Text;
using Skiff.Images;
using Skiff.Images.Fs;
using Skiff.Linux;
using static Skiff.Linux.FileFlags;

namespace Skiff.Engine.Volumes;

/// <summary>
/// Docker's copy-up: when an empty volume is first mounted over a directory of the image, the
/// directory's content (files, directories, symlinks, devices, fifos, hard links, with owners,
/// modes, times and extended attributes) is copied into the volume, and the volume's root takes the
/// directory's owner and mode.
/// <para>
/// The image is hostile input. The mount destination is resolved inside the mounted rootfs with
/// openat2(RESOLVE_IN_ROOT), as the runtime resolves it, so a symlink on the way resolves as if the
/// rootfs were "/"; from there every entry is reached through its parent's directory fd by one name
/// and never followed (fstatat and openat with NOFOLLOW, readlinkat, symlinkat): a symlink in the
/// image is copied as a symlink, whatever it points at. The volume side is written the same way
/// (O_EXCL|O_NOFOLLOW, *at calls), so a container that shares the volume and races the copy can at
/// worst make it fail.
/// </para>
/// </summary>
internal static unsafe class CopyUp
{
    private const int OpenDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

    /// <summary>
    /// Copies what <paramref name="destination"/> is inside <paramref name="rootfs"/> into the empty
    /// directory <paramref name="volumeData"/>. False (nothing done) when the image has no directory
    /// there or the volume is not empty.
    /// </summary>
    public static bool Run(string rootfs, string destination, string volumeData)
    {
        using UnixFd root = OpenDirectory(rootfs);
        int fd = ScopedFs.TryOpen(root.Value, destination.TrimStart('/'), O_RDONLY | O_DIRECTORY, ScopedFs.InRoot);
        if (fd is -Errno.ENOENT or -Errno.ENOTDIR) return false;
        if (fd < 0) throw Failed($"open {destination} in the container's root filesystem", -fd);
        using UnixFd source = new(fd);
        using UnixFd target = OpenDirectory(volumeData);
        if (ScopedFs.ListNames(target).Count > 0) return false;

        Copier copier = new(target.Value);
        try
        {
            copier.CopyChildren(source.Value, target.Value, "");
        }
        catch
        {
            // A copy cut short is undone (what it made, nothing a container sharing the volume
            // wrote meanwhile), so the next start finds the volume empty and copies again.
            foreach (string name in copier.Made)
            {
                try
                {
                    ScopedFs.RemoveTree(target.Value, name);
                }
                catch (ImageException) { }
            }
            throw;
        }
        // The volume's root takes the image directory's owner and mode (Docker's copyOwnership).
        if (Interop.Libc.Fstat(source.Value, out Interop.StatBuffer stat) != 0) throw Failed(destination, Errno.Last);
        if (Interop.Libc.Fchown(target.Value, (int)stat.Uid, (int)stat.Gid) != 0) throw Failed($"chown {volumeData}", Errno.Last);
        if (Interop.Libc.Fchmod(target.Value, (int)(stat.Mode & 0xFFF)) != 0) throw Failed($"chmod {volumeData}", Errno.Last);
        return true;
    }

    /// <summary>The bytes of the regular files below a directory (hard links once), never following a symlink.</summary>
    public static long DiskUsage(string directory)
    {
        int fd = Interop.Libc.Open(directory, OpenDirectoryFlags, 0);
        if (fd < 0) return 0;
        using UnixFd root = new(fd);
        HashSet<(ulong, ulong)> seen = [];
        return Usage(root, seen);
    }

    private static long Usage(UnixFd directory, HashSet<(ulong, ulong)> seen)
    {
        long total = 0;
        foreach (string name in ScopedFs.ListNames(directory))
        {
            if (Interop.Libc.FstatAt(directory.Value, name, out Interop.StatBuffer stat, AT_SYMLINK_NOFOLLOW) != 0) continue;
            if (stat.IsRegular && seen.Add((stat.Device, stat.Inode))) total += stat.Size;
            else if (stat.IsDirectory)
            {
                int fd = Interop.Libc.OpenAt(directory.Value, name, OpenDirectoryFlags, 0);
                if (fd < 0) continue;
                using UnixFd child = new(fd);
                total += Usage(child, seen);
            }
        }
        return total;
    }

    private static UnixFd OpenDirectory(string path)
    {
        int fd = Interop.Libc.Open(path, OpenDirectoryFlags, 0);
        if (fd < 0) throw Failed($"open {path}", Errno.Last);
        return new UnixFd(fd);
    }

    private static EngineException Failed(string what, int errno) => new($"{what}: {Errno.Describe(errno)}");

    private sealed class Copier(int targetRoot)
    {
        /// <summary>Files with more than one link, by source inode: where the first copy went (relative to the volume).</summary>
        private readonly Dictionary<(ulong Device, ulong Inode), string> _links = [];
        private readonly byte[] _buffer = new byte[128 * 1024];

        /// <summary>The entries made at the top of the volume.</summary>
        public List<string> Made { get; } = [];

        public void CopyChildren(int source, int target, string relative)
        {
            using UnixFd listing = new(Interop.Libc.OpenAt(source, ".", OpenDirectoryFlags, 0));
            if (listing.Value < 0) throw Failed($"open {Display(relative)}", Errno.Last);
            foreach (string name in ScopedFs.ListNames(listing))
            {
                // (A name already there is not ours: making it fails with EEXIST.)
                if (relative.Length == 0 && Interop.Libc.FstatAt(target, name, out _, AT_SYMLINK_NOFOLLOW) != 0) Made.Add(name);
                CopyEntry(source, target, name, relative.Length == 0 ? name : relative + "/" + name);
            }
        }

        private void CopyEntry(int sourceDir, int targetDir, string name, string relative)
        {
            if (Interop.Libc.FstatAt(sourceDir, name, out Interop.StatBuffer stat, AT_SYMLINK_NOFOLLOW) != 0)
            {
                if (Errno.Last == Errno.ENOENT) return;
                throw Failed($"stat {Display(relative)}", Errno.Last);
            }
            switch (stat.FileType)
            {
                case S_IFDIR:
                    CopyDirectory(sourceDir, targetDir, name, relative, stat);
                    break;
                case S_IFREG:
                    if (stat.LinkCount > 1 && _links.TryGetValue((stat.Device, stat.Inode), out string? first) && Link(first, targetDir, name)) break;
                    CopyFile(sourceDir, targetDir, name, relative, stat);
                    if (stat.LinkCount > 1) _links.TryAdd((stat.Device, stat.Inode), relative);
                    break;
                case S_IFLNK:
                    CopySymlink(sourceDir, targetDir, name, relative, stat);
                    break;
                case S_IFCHR or S_IFBLK or S_IFIFO or S_IFSOCK:
                    CopySpecial(targetDir, name, relative, stat);
                    break;
            }
        }

        private void CopyDirectory(int sourceDir, int targetDir, string name, string relative, in Interop.StatBuffer stat)
        {
            if (Interop.Libc.MkdirAt(targetDir, name, 0x1C0) != 0) throw Failed($"mkdir {Display(relative)}", Errno.Last);
            using UnixFd source = new(Interop.Libc.OpenAt(sourceDir, name, OpenDirectoryFlags, 0));
            if (source.Value < 0) throw Failed($"open {Display(relative)}", Errno.Last);
            using UnixFd target = new(Interop.Libc.OpenAt(targetDir, name, OpenDirectoryFlags, 0));
            if (target.Value < 0) throw Failed($"open the copy of {Display(relative)}", Errno.Last);
            CopyChildren(source.Value, target.Value, relative);
            Finish(source.Value, target.Value, relative, stat);
        }

        private void CopyFile(int sourceDir, int targetDir, string name, string relative, in Interop.StatBuffer stat)
        {
            using UnixFd source = new(Interop.Libc.OpenAt(sourceDir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0));
            if (source.Value < 0) throw Failed($"open {Display(relative)}", Errno.Last);
            // What was opened must still be the regular file that was examined.
            if (Interop.Libc.Fstat(source.Value, out Interop.StatBuffer opened) != 0 || !opened.IsRegular || opened.Inode != stat.Inode)
                throw new EngineException($"{Display(relative)}: changed while it was being copied");
            using UnixFd target = new(Interop.Libc.OpenAt(targetDir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0x180));
            if (target.Value < 0) throw Failed($"create the copy of {Display(relative)}", Errno.Last);
            CopyData(source.Value, target.Value, relative);
            Finish(source.Value, target.Value, relative, stat);
        }

        private void CopyData(int source, int target, string relative)
        {
            bool kernelCopy = true;
            while (true)
            {
                nint copied;
                if (kernelCopy)
                {
                    copied = VolumeInterop.CopyFileRange(source, null, target, null, 1 << 30, 0);
                    if (copied < 0)
                    {
                        int errno = Errno.Last;
                        if (errno == Errno.EINTR) continue;
                        if (errno is Errno.EXDEV or Errno.EINVAL or Errno.ENOSYS or VolumeInterop.EOPNOTSUPP or Errno.EPERM or Errno.EBADF)
                        {
                            kernelCopy = false;
                            continue;
                        }
                        throw Failed($"copy {Display(relative)}", errno);
                    }
                    if (copied == 0) return;
                    continue;
                }
                fixed (byte* buffer = _buffer)
                {
                    copied = Interop.Libc.Read(source, buffer, _buffer.Length);
                    if (copied < 0)
                    {
                        if (Errno.Last == Errno.EINTR) continue;
                        throw Failed($"read {Display(relative)}", Errno.Last);
                    }
                    if (copied == 0) return;
                    for (nint written = 0; written < copied;)
                    {
                        nint n = Interop.Libc.Write(target, buffer + written, copied - written);
                        if (n < 0)
                        {
                            if (Errno.Last == Errno.EINTR) continue;
                            throw Failed($"write the copy of {Display(relative)}", Errno.Last);
                        }
                        written += n;
                    }
                }
            }
        }

        private static void CopySymlink(int sourceDir, int targetDir, string name, string relative, in Interop.StatBuffer stat)
        {
            // The link's own text, never what it points at.
            byte[] buffer = new byte[Math.Max(stat.Size + 1, 4096)];
            nint length;
            fixed (byte* bytes = buffer) length = VolumeInterop.ReadLinkAt(sourceDir, name, bytes, buffer.Length);
            if (length < 0) throw Failed($"readlink {Display(relative)}", Errno.Last);
            string target = Encoding.UTF8.GetString(buffer, 0, (int)length);
            if (Interop.Libc.SymlinkAt(target, targetDir, name) != 0) throw Failed($"symlink {Display(relative)}", Errno.Last);
            if (Interop.Libc.FchownAt(targetDir, name, (int)stat.Uid, (int)stat.Gid, AT_SYMLINK_NOFOLLOW) != 0) throw Failed($"chown {Display(relative)}", Errno.Last);
            SetTimes(targetDir, name, stat);
        }

        private static void CopySpecial(int targetDir, string name, string relative, in Interop.StatBuffer stat)
        {
            if (Interop.Libc.MknodAt(targetDir, name, (int)(stat.FileType | 0x180), stat.RDevice) != 0) throw Failed($"mknod {Display(relative)}", Errno.Last);
            // Owner and mode through an O_PATH handle on the node just made: never through a name a racing container could swap.
            using UnixFd node = new(Interop.Libc.OpenAt(targetDir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0));
            if (node.Value < 0) throw Failed($"open the copy of {Display(relative)}", Errno.Last);
            if (Interop.Libc.Fstat(node.Value, out Interop.StatBuffer made) != 0 || made.FileType != stat.FileType)
                throw new EngineException($"{Display(relative)}: changed while it was being copied");
            if (Interop.Libc.FchownAt(node.Value, "", (int)stat.Uid, (int)stat.Gid, AT_EMPTY_PATH) != 0) throw Failed($"chown {Display(relative)}", Errno.Last);
            if (VolumeInterop.Chmod(node.ProcPath, (int)(stat.Mode & 0xFFF)) != 0) throw Failed($"chmod {Display(relative)}", Errno.Last);
            SetTimes(targetDir, name, stat);
        }

        /// <summary>A second name for a file already copied: linkat from its first copy's directory, reached without following symlinks.</summary>
        private bool Link(string first, int targetDir, string name)
        {
            int slash = first.LastIndexOf('/');
            string parent = slash < 0 ? "." : first[..slash];
            int fd = ScopedFs.TryOpen(targetRoot, parent, O_PATH | O_DIRECTORY, ScopedFs.Exact);
            if (fd < 0) return false;
            using UnixFd parentFd = new(fd);
            return Interop.Libc.LinkAt(parentFd.Value, first[(slash + 1)..], targetDir, name, 0) == 0;
        }

        /// <summary>Owner, then mode (chown clears set-id bits), extended attributes and times, all through the open copy.</summary>
        private static void Finish(int source, int target, string relative, in Interop.StatBuffer stat)
        {
            if (Interop.Libc.Fchown(target, (int)stat.Uid, (int)stat.Gid) != 0) throw Failed($"chown {Display(relative)}", Errno.Last);
            CopyXattrs(source, target);
            if (Interop.Libc.Fchmod(target, (int)(stat.Mode & 0xFFF)) != 0) throw Failed($"chmod {Display(relative)}", Errno.Last);
            Interop.TimeSpec* times = stackalloc Interop.TimeSpec[2];
            times[0] = stat.AccessTime;
            times[1] = stat.ModifyTime;
            Interop.Libc.Futimens(target, times);
        }

        private static void SetTimes(int targetDir, string name, in Interop.StatBuffer stat)
        {
            Interop.TimeSpec* times = stackalloc Interop.TimeSpec[2];
            times[0] = stat.AccessTime;
            times[1] = stat.ModifyTime;
            Interop.Libc.UtimensAt(targetDir, name, times, AT_SYMLINK_NOFOLLOW);
        }

        /// <summary>Every extended attribute the source shows; one the volume's file system refuses is left out.</summary>
        private static void CopyXattrs(int source, int target)
        {
            nint size = VolumeInterop.FListXattr(source, null, 0);
            if (size <= 0) return;
            byte[] list = new byte[size];
            fixed (byte* bytes = list) size = VolumeInterop.FListXattr(source, bytes, list.Length);
            if (size <= 0) return;
            int start = 0;
            for (int i = 0; i < size; i++)
            {
                if (list[i] != 0) continue;
                string name = Encoding.UTF8.GetString(list, start, i - start);
                start = i + 1;
                if (name.Length == 0) continue;
                nint length = VolumeInterop.FGetXattr(source, name, null, 0);
                if (length < 0) continue;
                byte[] value = new byte[Math.Max(length, 1)];
                fixed (byte* bytes = value)
                {
                    length = VolumeInterop.FGetXattr(source, name, bytes, value.Length);
                    if (length >= 0) Interop.Libc.FSetXattr(target, name, bytes, length, 0);
                }
            }
        }

        private static string Display(string relative) => relative.Length == 0 ? "." : relative;
    }
}
