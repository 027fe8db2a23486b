using System.Formats.Tar;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Images.Archive;

/// <summary>What one layer added to its snapshot.</summary>
public sealed record ExtractResult(long Entries, long FileBytes);

/// <summary>How entries are applied when the target is not a snapshot (docker cp into a directory).</summary>
/// <param name="Whiteouts">Whether .wh. names are whiteouts; false: they are ordinary names.</param>
/// <param name="Owner">Every entry's owner instead of the archive's, if given.</param>
public sealed record ExtractOptions(bool Whiteouts = true, (int Uid, int Gid)? Owner = null);

/// <summary>
/// Applies one uncompressed layer tar to an empty snapshot directory in overlayfs's form: OCI
/// whiteouts become 0/0 character devices, opaque markers become trusted.overlay.opaque=y.
///
/// Layers are hostile input. Every entry is placed by: lexical cleaning of its name (no ".." or "/"
/// survives), resolution of its parent directory with openat2(RESOLVE_IN_ROOT) against the
/// snapshot's fd (a symlink, absolute or relative, resolves as if the snapshot were "/"), and
/// *at calls on the final name that never follow it (O_NOFOLLOW|O_EXCL, AT_SYMLINK_NOFOLLOW,
/// linkat without AT_SYMLINK_FOLLOW). Nothing outside the snapshot can be created, changed or read.
/// </summary>
public sealed class LayerExtractor : IDisposable
{
    private const int WriteBlock = 4096;

    private readonly UnixFd _root;
    private readonly IReadOnlyList<string> _lowerDirectories;
    private Action? _waitForLowers;
    private readonly List<(string Path, Interop.TimeSpec Access, Interop.TimeSpec Modify)> _directoryTimes = [];
    private readonly byte[] _buffer = new byte[256 * 1024];
    private string? _cachedParentPath;
    private UnixFd? _cachedParent;
    private long _entries, _fileBytes;
    private readonly ExtractOptions _options;

    /// <param name="targetDirectory">The new snapshot's (empty) directory.</param>
    /// <param name="lowerDirectories">The parent snapshots' directories, nearest first: where
    /// directories an entry implies but the layer lacks take their attributes from.</param>
    /// <param name="waitForLowers">Called once before the lower directories are first read, for
    /// layers unpacked in parallel with the ones below them.</param>
    public LayerExtractor(string targetDirectory, IReadOnlyList<string>? lowerDirectories = null, Action? waitForLowers = null, ExtractOptions? options = null)
    {
        _root = ScopedFs.OpenDirectory(targetDirectory);
        _options = options ?? new ExtractOptions();
        _lowerDirectories = lowerDirectories ?? [];
        _waitForLowers = waitForLowers;
    }

    /// <summary>Applies every entry of <paramref name="tar"/>; throws <see cref="ImageException"/> on a bad archive.</summary>
    public ExtractResult Extract(Stream tar, CancellationToken cancellationToken = default)
    {
        PaxRawRecords raw = new(tar);
        using TarReader reader = new(raw, leaveOpen: true);
        TarEntry? entry;
        while (true)
        {
            try { entry = reader.GetNextEntry(); }
            catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException or EndOfStreamException)
            {
                throw new ImageException($"layer: corrupt tar archive: {e.Message}", e);
            }
            if (entry is null) break;
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                Apply(entry, raw.TakeXattrs(entry));
            }
            catch (Exception e) when (e is not ImageException and not OperationCanceledException)
            {
                throw new ImageException($"layer entry \"{entry.Name}\": {e.Message}", e);
            }
        }
        ApplyDirectoryTimes();
        return new ExtractResult(_entries, _fileBytes);
    }

    private void Apply(TarEntry entry, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs)
    {
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) return;
        _entries++;
        if (_options.Owner is (int uid, int gid))
        {
            entry.Uid = uid;
            entry.Gid = gid;
        }
        SparseMap? sparse = SparseMap.From(entry);
        string path = TarPath.Clean(sparse?.RealName ?? entry.Name);
        (string directory, string name) = TarPath.Split(path);

        if (_options.Whiteouts && name.StartsWith(Whiteouts.Prefix, StringComparison.Ordinal))
        {
            ApplyWhiteout(directory, name);
            return;
        }
        if (path.Length == 0)
        {
            if (entry.EntryType != TarEntryType.Directory) throw Bad(entry, "the layer root can only be a directory");
            ApplyDirectoryAttributes(_root.Value, "", entry, xattrs);
            return;
        }

        UnixFd parent = OpenParent(directory);
        switch (entry.EntryType)
        {
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                WriteFile(parent, name, entry, sparse, xattrs);
                break;
            case TarEntryType.Directory:
                MakeDirectory(parent, name, path, entry, xattrs);
                break;
            case TarEntryType.SymbolicLink:
                Replace(parent, name);
                Check(Interop.Libc.SymlinkAt(entry.LinkName, parent.Value, name), "symlink", path);
                SetOwnerAt(parent, name, entry, path);
                SetXattrsAt(parent, name, xattrs, path);
                SetTimesAt(parent, name, entry, path);
                break;
            case TarEntryType.HardLink:
                MakeHardLink(parent, name, path, entry);
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                MakeNode(parent, name, path, entry, xattrs);
                break;
            case TarEntryType.SparseFile:
                throw Bad(entry, "old GNU sparse entries are not supported (use PAX sparse 1.0)");
            default:
                throw Bad(entry, $"unsupported entry type {entry.EntryType}");
        }
    }

    private void ApplyWhiteout(string directory, string name)
    {
        UnixFd parent = OpenParent(directory);
        if (name == Whiteouts.Opaque)
        {
            int fd = ScopedFs.TryOpen(parent.Value, "", FileFlags.O_RDONLY | FileFlags.O_DIRECTORY, ScopedFs.Exact);
            if (fd < 0) throw new ImageException($"layer entry \"{directory}/{name}\": {Errno.Describe(-fd)}");
            using UnixFd dir = new(fd);
            SetXattr(dir, Whiteouts.OverlayOpaqueXattr, "y"u8, directory, required: true);
            return;
        }
        if (name.StartsWith(Whiteouts.MetaPrefix, StringComparison.Ordinal)) return;   // aufs bookkeeping, no meaning here
        string hidden = name[Whiteouts.Prefix.Length..];
        if (hidden is "" or "." or "..") throw new ImageException($"layer entry \"{directory}/{name}\": invalid whiteout");
        Replace(parent, hidden);
        Check(Interop.Libc.MknodAt(parent.Value, hidden, (int)FileFlags.S_IFCHR, 0), "whiteout", Join(directory, hidden));
    }

    private void WriteFile(UnixFd parent, string name, TarEntry entry, SparseMap? sparse, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs)
    {
        string path = Join(parent, name);
        Replace(parent, name);
        int fd = Interop.Libc.OpenAt(parent.Value, name,
            FileFlags.O_WRONLY | FileFlags.O_CREAT | FileFlags.O_EXCL | FileFlags.O_NOFOLLOW | FileFlags.O_CLOEXEC, 0x180);
        Check(fd, "create", path);
        using UnixFd file = new(fd);
        long size = 0;
        if (entry.DataStream is { } data)
        {
            SparseWriter writer = new(file.Value, _buffer);
            size = sparse is null ? writer.CopyAll(data) : sparse.CopyTo(data, writer);
            if (sparse is null && size != entry.Length)
                throw new ImageException($"layer entry \"{path}\": archive ends after {size} of {entry.Length} bytes");
            if (writer.EndsInHole || size != writer.Written)
                Check(Interop.Libc.Ftruncate(file.Value, size), "truncate", path);
        }
        _fileBytes += size;
        Check(Interop.Libc.Fchown(file.Value, entry.Uid, entry.Gid), "chown", path);
        Check(Interop.Libc.Fchmod(file.Value, (int)entry.Mode), "chmod", path);
        foreach ((string key, byte[] value) in xattrs) SetXattr(file, key, value, path);
        SetTimes(file, entry, path);
    }

    private void MakeDirectory(UnixFd parent, string name, string path, TarEntry entry, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs)
    {
        if (!ReplaceUnlessDirectory(parent, name))
            Check(Interop.Libc.MkdirAt(parent.Value, name, 0x1c0), "mkdir", path);
        ApplyDirectoryAttributes(parent.Value, name, entry, xattrs, path);
    }

    private void ApplyDirectoryAttributes(int parentFd, string name, TarEntry entry, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs, string path = "")
    {
        int fd = name.Length == 0
            ? Interop.Libc.OpenAt(parentFd, ".", FileFlags.O_RDONLY | FileFlags.O_DIRECTORY | FileFlags.O_CLOEXEC, 0)
            : Interop.Libc.OpenAt(parentFd, name, FileFlags.O_RDONLY | FileFlags.O_DIRECTORY | FileFlags.O_NOFOLLOW | FileFlags.O_CLOEXEC, 0);
        Check(fd, "open", path);
        using UnixFd dir = new(fd);
        Check(Interop.Libc.Fchown(dir.Value, entry.Uid, entry.Gid), "chown", path);
        Check(Interop.Libc.Fchmod(dir.Value, (int)entry.Mode), "chmod", path);
        foreach ((string key, byte[] value) in xattrs) SetXattr(dir, key, value, path);
        // Children written later would bump the time: directories get theirs at the end.
        _directoryTimes.Add((path, Interop.TimeSpec.From(AccessTime(entry)), Interop.TimeSpec.From(entry.ModificationTime)));
    }

    private void MakeHardLink(UnixFd parent, string name, string path, TarEntry entry)
    {
        string target = TarPath.Clean(entry.LinkName);
        if (target.Length == 0) throw Bad(entry, "hard link to the layer root");
        if (target == path) return;
        (string targetDirectory, string targetName) = TarPath.Split(target);
        int fd = ScopedFs.TryOpen(_root.Value, targetDirectory, FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.InRoot);
        if (fd < 0) throw Bad(entry, $"hard link target \"{entry.LinkName}\": {Errno.Describe(-fd)}");
        using UnixFd targetParent = new(fd);
        if (!ScopedFs.TryStat(targetParent.Value, targetName, out Interop.StatBuffer stat))
            throw Bad(entry, $"hard link target \"{entry.LinkName}\" is not in this layer");
        if (stat.IsDirectory) throw Bad(entry, $"hard link target \"{entry.LinkName}\" is a directory");
        Replace(parent, name);
        // Without AT_SYMLINK_FOLLOW a symlink target is linked as the symlink itself, never followed.
        Check(Interop.Libc.LinkAt(targetParent.Value, targetName, parent.Value, name, 0), "link", path);
    }

    private void MakeNode(UnixFd parent, string name, string path, TarEntry entry, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs)
    {
        Replace(parent, name);
        uint type = entry.EntryType switch
        {
            TarEntryType.CharacterDevice => FileFlags.S_IFCHR,
            TarEntryType.BlockDevice => FileFlags.S_IFBLK,
            _ => FileFlags.S_IFIFO,
        };
        ulong device = 0;
        if (entry is PosixTarEntry posix && type != FileFlags.S_IFIFO)
            device = FileFlags.MakeDev((uint)posix.DeviceMajor, (uint)posix.DeviceMinor);
        Check(Interop.Libc.MknodAt(parent.Value, name, (int)type | ((int)entry.Mode & 0xfff), device), "mknod", path);
        SetOwnerAt(parent, name, entry, path);
        // The node was just made by mknodat and cannot be a symlink, so this chmod follows nothing.
        Check(Interop.Libc.FchmodAt(parent.Value, name, (int)entry.Mode, 0), "chmod", path);
        SetXattrsAt(parent, name, xattrs, path);
        SetTimesAt(parent, name, entry, path);
    }

    /// <summary>The fd of an entry's parent directory, making missing directories on the way.</summary>
    private UnixFd OpenParent(string directory)
    {
        if (directory.Length == 0) return _root;
        if (_cachedParentPath == directory && _cachedParent is not null) return _cachedParent;
        DropParentCache();

        int fd = ScopedFs.TryOpen(_root.Value, directory, FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.InRoot);
        if (fd == -Errno.ENOENT) fd = MakeParents(directory);
        if (fd < 0) throw new ImageException($"layer directory \"{directory}\": {Errno.Describe(-fd)}");
        _cachedParentPath = directory;
        _cachedParent = new UnixFd(fd);
        return _cachedParent;
    }

    /// <summary>
    /// mkdir -p inside the root, each new directory taking mode, owner and time from the nearest
    /// lower snapshot that has it (overlayfs shows the upper directory's attributes, so a plain
    /// 0755 root:root here would change what the container sees).
    /// </summary>
    private int MakeParents(string directory)
    {
        string prefix = "";
        int current = ScopedFs.TryOpen(_root.Value, "", FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.InRoot);
        foreach (string part in directory.Split('/'))
        {
            prefix = Join(prefix, part);
            int next = ScopedFs.TryOpen(_root.Value, prefix, FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.InRoot);
            if (next == -Errno.ENOENT)
            {
                LowerDirectory? lower = FindLower(prefix);
                if (Interop.Libc.MkdirAt(current, part, 0x1c0) != 0)
                {
                    int errno = Errno.Last;
                    Interop.Libc.Close(current);
                    return errno == Errno.EEXIST ? -Errno.ENOTDIR : -errno;
                }
                int made = Interop.Libc.OpenAt(current, part, FileFlags.O_RDONLY | FileFlags.O_DIRECTORY | FileFlags.O_NOFOLLOW | FileFlags.O_CLOEXEC, 0);
                Check(made, "open", prefix);
                using (UnixFd dir = new(made))
                {
                    Check(Interop.Libc.Fchown(dir.Value, (int)(lower?.Uid ?? 0), (int)(lower?.Gid ?? 0)), "chown", prefix);
                    Check(Interop.Libc.Fchmod(dir.Value, (int)(lower?.Mode ?? 0x1ed)), "chmod", prefix);
                }
                if (lower is not null) _directoryTimes.Add((prefix, lower.Access, lower.Modify));
                next = ScopedFs.TryOpen(_root.Value, prefix, FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.InRoot);
            }
            Interop.Libc.Close(current);
            if (next < 0) return next;
            current = next;
        }
        return current;
    }

    private sealed record LowerDirectory(uint Mode, uint Uid, uint Gid, Interop.TimeSpec Access, Interop.TimeSpec Modify);

    private LowerDirectory? FindLower(string path)
    {
        _waitForLowers?.Invoke();
        _waitForLowers = null;
        foreach (string lowerPath in _lowerDirectories)
        {
            int root = Interop.Libc.Open(lowerPath, FileFlags.O_PATH | FileFlags.O_DIRECTORY | FileFlags.O_CLOEXEC, 0);
            if (root < 0) continue;
            using UnixFd lowerRoot = new(root);
            int fd = ScopedFs.TryOpen(lowerRoot.Value, path, FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.InRoot);
            if (fd < 0) continue;
            using UnixFd dir = new(fd);
            if (Interop.Libc.Fstat(dir.Value, out Interop.StatBuffer stat) != 0) continue;
            return new LowerDirectory(stat.Mode & 0xfff, stat.Uid, stat.Gid, stat.AccessTime, stat.ModifyTime);
        }
        return null;
    }

    /// <summary>Removes whatever this layer already put at the name (a later entry wins).</summary>
    private void Replace(UnixFd parent, string name)
    {
        if (!ScopedFs.TryStat(parent.Value, name, out Interop.StatBuffer stat)) return;
        if (stat.IsDirectory) DropParentCache();
        ScopedFs.RemoveTree(parent.Value, name);
    }

    /// <returns>true if a directory is already there (and is kept, as tar does).</returns>
    private bool ReplaceUnlessDirectory(UnixFd parent, string name)
    {
        if (!ScopedFs.TryStat(parent.Value, name, out Interop.StatBuffer stat)) return false;
        if (stat.IsDirectory) return true;
        ScopedFs.RemoveTree(parent.Value, name);
        return false;
    }

    private void DropParentCache()
    {
        _cachedParent?.Dispose();
        _cachedParent = null;
        _cachedParentPath = null;
    }

    private static void SetOwnerAt(UnixFd parent, string name, TarEntry entry, string path) =>
        Check(Interop.Libc.FchownAt(parent.Value, name, entry.Uid, entry.Gid, FileFlags.AT_SYMLINK_NOFOLLOW), "chown", path);

    private static unsafe void SetTimes(UnixFd fd, TarEntry entry, string path)
    {
        Interop.TimeSpec* times = stackalloc Interop.TimeSpec[2];
        times[0] = Interop.TimeSpec.From(AccessTime(entry));
        times[1] = Interop.TimeSpec.From(entry.ModificationTime);
        Check(Interop.Libc.Futimens(fd.Value, times), "utimes", path);
    }

    private static unsafe void SetTimesAt(UnixFd parent, string name, TarEntry entry, string path)
    {
        Interop.TimeSpec* times = stackalloc Interop.TimeSpec[2];
        times[0] = Interop.TimeSpec.From(AccessTime(entry));
        times[1] = Interop.TimeSpec.From(entry.ModificationTime);
        Check(Interop.Libc.UtimensAt(parent.Value, name, times, FileFlags.AT_SYMLINK_NOFOLLOW), "utimes", path);
    }

    private static DateTimeOffset AccessTime(TarEntry entry) => entry switch
    {
        GnuTarEntry gnu when gnu.AccessTime > DateTimeOffset.UnixEpoch => gnu.AccessTime,
        PaxTarEntry pax when pax.ExtendedAttributes.TryGetValue("atime", out string? atime) && ParsePaxTime(atime) is { } time => time,
        _ => entry.ModificationTime,
    };

    /// <summary>A PAX time: decimal seconds since the epoch, optionally with a fraction.</summary>
    private static DateTimeOffset? ParsePaxTime(string text) =>
        decimal.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint | System.Globalization.NumberStyles.AllowLeadingSign,
            System.Globalization.CultureInfo.InvariantCulture, out decimal seconds) && Math.Abs(seconds) < 253402300799m
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
            : null;

    private unsafe void ApplyDirectoryTimes()
    {
        Interop.TimeSpec* times = stackalloc Interop.TimeSpec[2];
        for (int i = _directoryTimes.Count - 1; i >= 0; i--)
        {
            (string path, Interop.TimeSpec access, Interop.TimeSpec modify) = _directoryTimes[i];
            // Exact resolution: if a later entry replaced the directory, there is nothing to stamp.
            int fd = ScopedFs.TryOpen(_root.Value, path, FileFlags.O_RDONLY | FileFlags.O_DIRECTORY, ScopedFs.Exact);
            if (fd < 0) continue;
            using UnixFd dir = new(fd);
            times[0] = access;
            times[1] = modify;
            Check(Interop.Libc.Futimens(dir.Value, times), "utimes", path);
        }
    }

    private static unsafe void SetXattr(UnixFd fd, string name, ReadOnlySpan<byte> value, string path, bool required = false)
    {
        fixed (byte* bytes = value)
        {
            if (Interop.Libc.FSetXattr(fd.Value, name, bytes, value.Length, 0) != 0 && (required || !XattrUnsupported(Errno.Last)))
                throw new ImageException($"layer entry \"{path}\": set xattr {name}: {Errno.Describe(Errno.Last)}");
        }
    }

    private static unsafe void SetXattrsAt(UnixFd parent, string name, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs, string path)
    {
        // The parent's magic link is followed (it is the directory we resolved), the final name is not.
        string target = $"{parent.ProcPath}/{name}";
        foreach ((string key, byte[] value) in xattrs)
        {
            fixed (byte* bytes = value)
            {
                if (Interop.Libc.LSetXattr(target, key, bytes, value.Length, 0) != 0 && !XattrUnsupported(Errno.Last))
                    throw new ImageException($"layer entry \"{path}\": set xattr {key}: {Errno.Describe(Errno.Last)}");
            }
        }
    }

    /// <summary>A filesystem or file type without that xattr namespace (user.* on a symlink): skipped, as tar does.</summary>
    private static bool XattrUnsupported(int errno) => errno is 95 or Errno.EPERM;

    private static void Check(int result, string what, string path)
    {
        if (result < 0) throw new ImageException($"layer entry \"{path}\": {what}: {Errno.Describe(Errno.Last)}");
    }

    private static string Join(string directory, string name) => directory.Length == 0 ? name : directory + "/" + name;

    private string Join(UnixFd parent, string name) => ReferenceEquals(parent, _root) ? name : Join(_cachedParentPath ?? "", name);

    private static ImageException Bad(TarEntry entry, string reason) => new($"layer entry \"{entry.Name}\": {reason}");

    public void Dispose()
    {
        DropParentCache();
        _root.Dispose();
    }
}
