using System.Security.Cryptography;
using Skiff.Linux;

namespace Skiff.Images.Tests.Support;

/// <summary>
/// Everything observable about a directory tree (names, types, modes, owners, sizes, times,
/// contents, link targets, xattrs), to prove a tree was left untouched or two trees are equal.
/// </summary>
public static class TreeState
{
    public static SortedDictionary<string, string> Capture(string root, bool includeTimes = true, bool includeRootTimes = true)
    {
        SortedDictionary<string, string> state = new(StringComparer.Ordinal);
        Walk(root, "", state, includeTimes, includeRootTimes);
        return state;
    }

    public static string Describe(string path, bool includeTimes = true)
    {
        if (Interop.Libc.FstatAt(FileFlags.AT_FDCWD, path, out Interop.StatBuffer stat, FileFlags.AT_SYMLINK_NOFOLLOW) != 0)
            return "missing";
        string type = (stat.Mode & FileFlags.S_IFMT) switch
        {
            FileFlags.S_IFDIR => "dir",
            FileFlags.S_IFREG => "file",
            FileFlags.S_IFLNK => "symlink",
            FileFlags.S_IFCHR => "char",
            FileFlags.S_IFBLK => "block",
            FileFlags.S_IFIFO => "fifo",
            _ => "other",
        };
        string text = $"{type} mode={Convert.ToString(stat.Mode & 0xfff, 8)} uid={stat.Uid} gid={stat.Gid}";
        if (includeTimes) text += $" mtime={stat.ModifyTime.Seconds}.{stat.ModifyTime.Nanoseconds / 1000}";
        if (type == "file")
            text += $" size={stat.Size} sha={Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))[..16]}";
        if (type == "symlink") text += $" -> {new FileInfo(path).LinkTarget}";
        if (type is "char" or "block") text += $" dev={FileFlags.Major(stat.RDevice)}:{FileFlags.Minor(stat.RDevice)}";
        foreach ((string name, byte[] value) in Xattrs.List(path)) text += $" xattr:{name}={Convert.ToHexStringLower(value)}";
        return text;
    }

    private static void Walk(string root, string relative, SortedDictionary<string, string> state, bool includeTimes, bool includeRootTimes)
    {
        string path = relative.Length == 0 ? root : System.IO.Path.Combine(root, relative);
        state[relative.Length == 0 ? "." : relative] = Describe(path, includeTimes && (relative.Length > 0 || includeRootTimes));
        FileSystemInfo info = new DirectoryInfo(path);
        if (info.LinkTarget is not null || !Directory.Exists(path)) return;
        foreach (string child in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
        {
            string childRelative = relative.Length == 0 ? System.IO.Path.GetFileName(child) : relative + "/" + System.IO.Path.GetFileName(child);
            string childPath = System.IO.Path.Combine(root, childRelative);
            if (Interop.Libc.FstatAt(FileFlags.AT_FDCWD, childPath, out Interop.StatBuffer stat, FileFlags.AT_SYMLINK_NOFOLLOW) == 0 && stat.IsDirectory)
                Walk(root, childRelative, state, includeTimes, includeRootTimes);
            else
                state[childRelative] = Describe(childPath, includeTimes);
        }
    }
}

public static unsafe class Xattrs
{
    public static List<(string Name, byte[] Value)> List(string path)
    {
        byte* names = stackalloc byte[4096];
        nint length = Interop.Libc.LListXattr(path, names, 4096);
        List<(string, byte[])> result = [];
        if (length <= 0) return result;
        foreach (string name in System.Text.Encoding.UTF8.GetString(names, (int)length).Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal))
        {
            if (Get(path, name) is { } value) result.Add((name, value));
        }
        return result;
    }

    public static byte[]? Get(string path, string name)
    {
        byte* value = stackalloc byte[65536];
        nint length = Interop.Libc.LGetXattr(path, name, value, 65536);
        return length < 0 ? null : new ReadOnlySpan<byte>(value, (int)length).ToArray();
    }

    public static void Set(string path, string name, byte[] value)
    {
        fixed (byte* bytes = value)
            if (Interop.Libc.LSetXattr(path, name, bytes, value.Length, 0) != 0)
                throw new IOException($"setxattr {path} {name}: {Errno.Describe(Errno.Last)}");
    }
}
