using System.Text;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Engine.Spec;

/// <summary>The numeric identity <c>--user</c> and the image's USER name.</summary>
public sealed record ResolvedUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string Home);

/// <summary>
/// Resolves <c>USER name[:group]</c>, <c>--user</c> and <c>--group-add</c> against the image's own
/// /etc/passwd and /etc/group, as Docker does. The files are opened below the container's rootfs
/// with openat2(RESOLVE_IN_ROOT): a hostile image whose /etc/passwd is a symlink to the host's
/// reads its own tree, never the host's.
/// </summary>
public static class UserResolver
{
    private const int MaxFileSize = 4 << 20;

    public static ResolvedUser Resolve(string rootfs, string? user, IReadOnlyList<string> groupAdd)
    {
        using UnixFd root = ScopedFs.OpenDirectory(rootfs);
        List<string[]> passwd = ReadTable(root, "etc/passwd", 7);
        List<string[]> groups = ReadTable(root, "etc/group", 4);

        string spec = string.IsNullOrEmpty(user) ? "0" : user;
        string userPart = spec, groupPart = "";
        int colon = spec.IndexOf(':');
        if (colon >= 0) (userPart, groupPart) = (spec[..colon], spec[(colon + 1)..]);

        uint uid, gid;
        string name, home = "/";
        string[]? entry;
        if (uint.TryParse(userPart, out uid))
        {
            entry = passwd.FirstOrDefault(e => e[2] == userPart);
            gid = entry is not null && uint.TryParse(entry[3], out uint primary) ? primary : 0;
        }
        else
        {
            entry = passwd.FirstOrDefault(e => e[0] == userPart)
                ?? throw new EngineException($"unable to find user {userPart}: no matching entries in passwd file");
            if (!uint.TryParse(entry[2], out uid) || !uint.TryParse(entry[3], out gid))
                throw new EngineException($"unable to find user {userPart}: invalid passwd entry");
        }
        name = entry?[0] ?? "";
        if (entry is not null && entry[5].Length > 0) home = entry[5];

        if (groupPart.Length > 0) gid = GroupId(groups, groupPart);

        List<uint> additional = [];
        if (name.Length > 0 && groupPart.Length == 0)
            foreach (string[] group in groups)
                if (group[3].Split(',').Contains(name) && uint.TryParse(group[2], out uint member) && member != gid && !additional.Contains(member))
                    additional.Add(member);
        foreach (string extra in groupAdd)
        {
            uint id = GroupId(groups, extra);
            if (!additional.Contains(id)) additional.Add(id);
        }
        return new ResolvedUser(uid, gid, additional, home);
    }

    private static uint GroupId(List<string[]> groups, string group)
    {
        if (uint.TryParse(group, out uint id)) return id;
        string[] entry = groups.FirstOrDefault(e => e[0] == group)
            ?? throw new EngineException($"unable to find group {group}: no matching entries in group file");
        return uint.TryParse(entry[2], out id) ? id : throw new EngineException($"unable to find group {group}: invalid group entry");
    }

    /// <summary>The colon-separated lines of a file in the rootfs; a missing file is an empty table.</summary>
    private static List<string[]> ReadTable(UnixFd root, string relative, int fields)
    {
        int fd = ScopedFs.TryOpen(root.Value, relative, FileFlags.O_RDONLY | FileFlags.O_CLOEXEC | FileFlags.O_NONBLOCK, ScopedFs.InRoot);
        if (fd < 0) return [];
        using UnixFd file = new(fd);
        if (Interop.Libc.Fstat(fd, out Interop.StatBuffer stat) != 0 || !stat.IsRegular) return [];
        byte[] data = ReadAll(fd);
        List<string[]> table = [];
        foreach (string line in Encoding.UTF8.GetString(data).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            string[] parts = line.Split(':');
            if (parts.Length < fields) Array.Resize(ref parts, fields);
            for (int i = 0; i < parts.Length; i++) parts[i] ??= "";
            table.Add(parts);
        }
        return table;
    }

    private static unsafe byte[] ReadAll(int fd)
    {
        using MemoryStream buffer = new();
        byte* chunk = stackalloc byte[8192];
        while (buffer.Length < MaxFileSize)
        {
            nint n = Interop.Libc.Read(fd, chunk, 8192);
            if (n < 0 && Errno.Last == Errno.EINTR) continue;
            if (n <= 0) break;
            buffer.Write(new ReadOnlySpan<byte>(chunk, (int)n));
        }
        return buffer.ToArray();
    }
}
