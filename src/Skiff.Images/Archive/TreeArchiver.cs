using System.Formats.Tar;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Images.Archive;

/// <summary>How a tree is archived: as it is, or as an OCI layer from an overlayfs upper directory.</summary>
public enum TreeMode
{
    Plain,
    /// <summary>0:0 character devices become <c>.wh.NAME</c>, opaque directories get <c>.wh..wh..opq</c>.</summary>
    Layer,
}

/// <summary>
/// Writes a directory tree that may be hostile (a container's rootfs or upper directory) into a
/// tar stream. The walk goes through directory fds only: every child is stat'ed, opened or read
/// relative to its parent's fd and never followed (AT_SYMLINK_NOFOLLOW, O_NOFOLLOW, readlinkat),
/// so a symlink swapped in during the walk is archived as a symlink and never read through.
/// Owners are numbers only: no user database of the tree is consulted.
/// </summary>
/// <param name="skip">Entries left out (by entry name and lstat), with whatever is below them.</param>
public sealed partial class TreeArchiver(TarWriter writer, TreeMode mode = TreeMode.Plain, Func<string, Interop.StatBuffer, bool>? skip = null)
{
    private readonly Dictionary<(ulong Device, ulong Inode), string> _hardLinks = [];

    /// <summary>
    /// Archives the object <paramref name="name"/> in directory <paramref name="parentFd"/> as
    /// <paramref name="entryName"/>, a directory with everything below it. An empty
    /// <paramref name="name"/> is <paramref name="parentFd"/> itself (an O_PATH fd of any type).
    /// </summary>
    public void Add(int parentFd, string name, string entryName)
    {
        Interop.StatBuffer stat = Stat(parentFd, name, entryName);
        if (skip?.Invoke(entryName, stat) == true) return;
        if (mode == TreeMode.Layer && name.Length > 0 && (HasXattr(parentFd, name, RedirectXattr) || HasXattr(parentFd, name, MetacopyXattr)))
            throw new ImageException($"{Display(entryName)}: overlayfs redirect_dir or metacopy entry, which no layer tar can express (mount overlays with redirect_dir=off,metacopy=off)");
        if (stat.IsDirectory)
        {
            using UnixFd directory = OpenDirectory(parentFd, name, entryName);
            if (entryName.Length > 0) writer.WriteEntry(Header(TarEntryType.Directory, entryName + "/", stat));
            if (mode == TreeMode.Layer && name.Length > 0 && IsOpaque(parentFd, name))
                writer.WriteEntry(Header(TarEntryType.RegularFile, Join(entryName, Whiteouts.Opaque), stat with { Mode = FileFlags.S_IFREG }));
            AddChildren(directory, entryName);
            return;
        }
        AddNonDirectory(parentFd, name, entryName, stat);
    }

    /// <summary>Archives what is inside the directory <paramref name="directoryFd"/>, under <paramref name="prefix"/> ("" for top-level names).</summary>
    public void AddContents(int directoryFd, string prefix)
    {
        using UnixFd directory = OpenDirectory(directoryFd, "", prefix);
        AddChildren(directory, prefix);
    }

    private void AddChildren(UnixFd directory, string entryName)
    {
        List<string> names = ScopedFs.ListNames(directory);
        names.Sort(StringComparer.Ordinal);
        foreach (string child in names) Add(directory.Value, child, Join(entryName, child));
    }

    private void AddNonDirectory(int parentFd, string name, string entryName, Interop.StatBuffer stat)
    {
        switch (stat.FileType)
        {
            case FileFlags.S_IFREG:
                if (stat.LinkCount > 1)
                {
                    if (_hardLinks.TryGetValue((stat.Device, stat.Inode), out string? first))
                    {
                        PaxTarEntry link = Header(TarEntryType.HardLink, entryName, stat);
                        link.LinkName = first;
                        writer.WriteEntry(link);
                        return;
                    }
                    _hardLinks[(stat.Device, stat.Inode)] = entryName;
                }
                using (FileStream content = OpenRegular(parentFd, name, entryName))
                {
                    PaxTarEntry file = Header(TarEntryType.RegularFile, entryName, stat);
                    file.DataStream = content;
                    writer.WriteEntry(file);
                }
                return;
            case FileFlags.S_IFLNK:
                PaxTarEntry symlink = Header(TarEntryType.SymbolicLink, entryName, stat);
                symlink.LinkName = ReadLink(parentFd, name, entryName);
                writer.WriteEntry(symlink);
                return;
            case FileFlags.S_IFCHR when mode == TreeMode.Layer && stat.RDevice == 0:
                (string directory, string hidden) = TarPath.Split(entryName);
                writer.WriteEntry(Header(TarEntryType.RegularFile, Join(directory, Whiteouts.Prefix + hidden), stat with { Mode = FileFlags.S_IFREG }));
                return;
            case FileFlags.S_IFCHR or FileFlags.S_IFBLK:
                PaxTarEntry device = Header(stat.FileType == FileFlags.S_IFCHR ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, entryName, stat);
                device.DeviceMajor = (int)FileFlags.Major(stat.RDevice);
                device.DeviceMinor = (int)FileFlags.Minor(stat.RDevice);
                writer.WriteEntry(device);
                return;
            case FileFlags.S_IFIFO:
                writer.WriteEntry(Header(TarEntryType.Fifo, entryName, stat));
                return;
            default:
                return;   // sockets have no archive form, as with tar
        }
    }

    /// <summary>
    /// An entry whose bytes depend on the tree only. Without explicit atime and ctime, the PAX
    /// writer stamps both with the moment of writing, so two commits of an unchanged container
    /// would differ; Docker leaves them out, and they are set to the mtime here.
    /// </summary>
    private static PaxTarEntry Header(TarEntryType type, string entryName, Interop.StatBuffer stat)
    {
        string mtime = stat.ModifyTime.ToDateTimeOffset().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new(type, entryName, [new("atime", mtime), new("ctime", mtime)])
        {
            Mode = (UnixFileMode)(stat.Mode & 0xfff),
            Uid = (int)stat.Uid,
            Gid = (int)stat.Gid,
            ModificationTime = stat.ModifyTime.ToDateTimeOffset(),
        };
    }

    private static Interop.StatBuffer Stat(int parentFd, string name, string entryName)
    {
        int flags = FileFlags.AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? FileFlags.AT_EMPTY_PATH : 0);
        if (Interop.Libc.FstatAt(parentFd, name, out Interop.StatBuffer stat, flags) != 0)
            throw new ImageException($"{Display(entryName)}: stat: {Errno.Describe(Errno.Last)}");
        return stat;
    }

    private static UnixFd OpenDirectory(int parentFd, string name, string entryName)
    {
        int fd = Interop.Libc.OpenAt(parentFd, name.Length == 0 ? "." : name,
            FileFlags.O_RDONLY | FileFlags.O_DIRECTORY | FileFlags.O_NOFOLLOW | FileFlags.O_CLOEXEC, 0);
        if (fd < 0) throw new ImageException($"{Display(entryName)}: open: {Errno.Describe(Errno.Last)}");
        return new UnixFd(fd);
    }

    /// <summary>
    /// Opens a file found to be regular. O_NONBLOCK: if it was swapped for a FIFO since the stat,
    /// the open must not hang; the fstat after it rejects whatever is not a regular file.
    /// </summary>
    private static FileStream OpenRegular(int parentFd, string name, string entryName)
    {
        const int flags = FileFlags.O_RDONLY | FileFlags.O_NOFOLLOW | FileFlags.O_NONBLOCK | FileFlags.O_NOCTTY | FileFlags.O_CLOEXEC;
        // An O_PATH fd is reopened through its magic link, which names the very inode it holds.
        int fd = name.Length == 0
            ? Interop.Libc.Open($"/proc/self/fd/{parentFd}", flags & ~FileFlags.O_NOFOLLOW, 0)
            : Interop.Libc.OpenAt(parentFd, name, flags, 0);
        if (fd < 0) throw new ImageException($"{Display(entryName)}: open: {Errno.Describe(Errno.Last)}");
        SafeFileHandle handle = new(fd, ownsHandle: true);
        if (Interop.Libc.Fstat(fd, out Interop.StatBuffer stat) != 0 || !stat.IsRegular)
        {
            handle.Dispose();
            throw new ImageException($"{Display(entryName)}: changed while it was being copied");
        }
        return new FileStream(handle, FileAccess.Read, 1);
    }

    private static unsafe string ReadLink(int parentFd, string name, string entryName)
    {
        byte[] buffer = new byte[4097];
        fixed (byte* bytes = buffer)
        {
            nint length = ReadLinkAt(parentFd, name, bytes, buffer.Length);
            if (length < 0) throw new ImageException($"{Display(entryName)}: readlink: {Errno.Describe(Errno.Last)}");
            if (length >= buffer.Length) throw new ImageException($"{Display(entryName)}: readlink: target too long");
            return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length);
        }
    }

    private const string RedirectXattr = Whiteouts.OverlayXattrPrefix + "redirect";
    private const string MetacopyXattr = Whiteouts.OverlayXattrPrefix + "metacopy";

    private static unsafe bool HasXattr(int parentFd, string name, string xattr) =>
        Interop.Libc.LGetXattr($"/proc/self/fd/{parentFd}/{name}", xattr, null, 0) >= 0;

    private static unsafe bool IsOpaque(int parentFd, string name)
    {
        byte value = 0;
        // The parent's magic link is followed (the directory we hold), the final name is not.
        nint length = Interop.Libc.LGetXattr($"/proc/self/fd/{parentFd}/{name}", Whiteouts.OverlayOpaqueXattr, &value, 1);
        return length == 1 && value == (byte)'y';
    }

    [LibraryImport("libc", EntryPoint = "readlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial nint ReadLinkAt(int dirFd, string path, byte* buffer, nint size);

    private static string Join(string directory, string name) => directory.Length == 0 ? name : directory + "/" + name;

    private static string Display(string entryName) => entryName.Length == 0 ? "/" : entryName;
}
