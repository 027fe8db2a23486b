using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Engine.Spec;

/// <summary>
/// --device HOST[:CONTAINER][:PERMS] (the host node's type and numbers, recreated in the container
/// and allowed in its device cgroup) and --device-cgroup-rule "TYPE MAJOR:MINOR PERMS".
/// </summary>
public static class DeviceRequests
{
    public static (LinuxDevice Device, DeviceCgroupRule Rule) Parse(string text)
    {
        string[] parts = text.Split(':');
        string host = parts[0];
        string container = parts.Length > 1 && parts[1].StartsWith('/') ? parts[1] : host;
        string permissions = parts.Length > 1 && !parts[^1].StartsWith('/') ? parts[^1] : "rwm";
        if (parts.Length > 3 || permissions.Length == 0 || permissions.Any(c => c is not ('r' or 'w' or 'm')))
            throw new EngineException($"invalid device specification: {text}");
        if (Interop.Libc.FstatAt(FileFlags.AT_FDCWD, host, out Interop.StatBuffer stat, 0) != 0)
            throw new EngineException($"error gathering device information while adding custom device \"{host}\": {Errno.Describe(Errno.Last)}");
        uint kind = stat.Mode & FileFlags.S_IFMT;
        string type = kind == FileFlags.S_IFCHR ? "c" : kind == FileFlags.S_IFBLK ? "b"
            : throw new EngineException($"error gathering device information while adding custom device \"{host}\": not a device node");
        long major = (long)(((stat.RDevice >> 8) & 0xfff) | ((stat.RDevice >> 32) & ~0xfffUL));
        long minor = (long)((stat.RDevice & 0xff) | ((stat.RDevice >> 12) & ~0xffUL));
        LinuxDevice device = new() { Type = type, Path = container, Major = major, Minor = minor, FileMode = stat.Mode & 0xfff, Uid = 0, Gid = 0 };
        return (device, new DeviceCgroupRule { Allow = true, Type = type, Major = major, Minor = minor, Access = permissions });
    }

    public static DeviceCgroupRule ParseRule(string text)
    {
        string[] fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] numbers = fields.Length == 3 ? fields[1].Split(':') : [];
        if (fields.Length != 3 || fields[0] is not ("a" or "b" or "c") || numbers.Length != 2
            || fields[2].Length == 0 || fields[2].Any(c => c is not ('r' or 'w' or 'm')))
            throw new EngineException($"invalid device cgroup rule \"{text}\": expected TYPE MAJOR:MINOR PERMS, e.g. 'c 1:3 rwm' or 'c *:* m'");
        return new DeviceCgroupRule
        {
            Allow = true,
            Type = fields[0],
            Major = Number(numbers[0], text),
            Minor = Number(numbers[1], text),
            Access = fields[2],
        };
    }

    private static long? Number(string text, string rule) =>
        text == "*" ? null : long.TryParse(text, out long value) && value >= 0 ? value : throw new EngineException($"invalid device cgroup rule \"{rule}\": {text} is not a number or *");
}
