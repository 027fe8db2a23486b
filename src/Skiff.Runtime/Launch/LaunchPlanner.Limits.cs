using System.Text;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Launch;

/// <summary>
/// The kernel's bounds on what the plan lowers into C strings (PATH_MAX, NAME_MAX, HOST_NAME_MAX),
/// checked where the config is read, so a field that breaks one is refused by name before the
/// child meets it, and no error line ever echoes an unbounded value.
/// </summary>
public static partial class LaunchPlanner
{
    public const int PathMax = 4096, NameMax = 255, HostNameMax = 64;

    private static void ValidateLimits(Spec spec, Oci.Runtime.Linux linux)
    {
        Process process = spec.Process!;
        CheckPath(process.Cwd, "process.cwd");
        CheckText(process.Args, "process.args");
        CheckText(process.Env, "process.env");
        if (process.OomScoreAdj is < -1000 or > 1000)
            throw new RuntimeException($"config.json: process.oomScoreAdj {process.OomScoreAdj} is out of range: it must be between -1000 and 1000");
        CheckHostName(spec.Hostname, "hostname");
        CheckHostName(spec.Domainname, "domainname");
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
        {
            Mount mount = spec.Mounts![i];
            CheckPath(mount.Destination, $"mounts[{i}].destination");
            if (mount.Source is { } source) CheckPath(source, $"mounts[{i}].source");
        }
        for (int i = 0; i < (linux.Devices?.Count ?? 0); i++) CheckPath(linux.Devices![i].Path, $"linux.devices[{i}].path");
        for (int i = 0; i < (linux.MaskedPaths?.Count ?? 0); i++) CheckPath(linux.MaskedPaths![i], $"linux.maskedPaths[{i}]");
        for (int i = 0; i < (linux.ReadonlyPaths?.Count ?? 0); i++) CheckPath(linux.ReadonlyPaths![i], $"linux.readonlyPaths[{i}]");
        foreach (var (key, value) in linux.Sysctl ?? [])
        {
            CheckPath("/proc/sys/" + key, $"linux.sysctl key \"{ErrorText.Bounded(key, 64)}\"");
            if (value.Contains('\0')) throw new RuntimeException($"config.json: linux.sysctl \"{ErrorText.Bounded(key, 64)}\" has a value with a NUL byte");
        }
    }

    /// <summary>A path the child resolves component by component: at most PATH_MAX bytes, each name at most NAME_MAX, no NUL.</summary>
    public static void CheckPath(string? path, string field)
    {
        if (path is null) return;
        if (path.Contains('\0')) throw new RuntimeException($"config.json: {field} contains a NUL byte");
        int bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes >= PathMax)
            throw new RuntimeException($"config.json: {field} is {bytes} bytes long, longer than PATH_MAX ({PathMax - 1})");
        foreach (string name in path.Split('/'))
        {
            int length = Encoding.UTF8.GetByteCount(name);
            if (length > NameMax)
                throw new RuntimeException($"config.json: {field}: the name \"{ErrorText.Bounded(name, 32)}\" is {length} bytes long, longer than NAME_MAX ({NameMax})");
        }
    }

    private static void CheckHostName(string? name, string field)
    {
        if (string.IsNullOrEmpty(name)) return;
        if (name.Contains('\0')) throw new RuntimeException($"config.json: {field} contains a NUL byte");
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > HostNameMax)
            throw new RuntimeException($"config.json: {field} \"{ErrorText.Bounded(name, 32)}\" is {bytes} bytes long, longer than HOST_NAME_MAX ({HostNameMax})");
    }

    /// <summary>Strings execve or write(2) take as C strings: a NUL would cut them short without a word.</summary>
    private static void CheckText(IEnumerable<string>? values, string field)
    {
        int i = 0;
        foreach (string value in values ?? [])
        {
            if (value.Contains('\0')) throw new RuntimeException($"config.json: {field}[{i}] contains a NUL byte");
            i++;
        }
    }
}
