using System.Text.Json;
using System.Text.Json.Nodes;
using OciSeccomp = Skiff.Oci.Runtime.Seccomp;
using Skiff.Oci.Runtime;

namespace Skiff.Engine.Spec;

/// <summary>
/// Reads a seccomp profile in the engines' format (containers-common's and moby's: an archMap, and
/// rules that apply only for some architectures, capabilities or kernel versions) and produces the
/// OCI section for this x86-64 host and the container's capabilities, as Docker and Podman do. A
/// profile already in OCI form (<c>architectures</c> instead of <c>archMap</c>) passes through.
/// </summary>
public static class SeccompProfile
{
    private const string HostArch = "amd64";

    public static OciSeccomp Load(string path, IReadOnlyCollection<string> capabilities)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EngineException($"seccomp profile {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : "cannot be read")}");
        }
        try
        {
            return Convert(json, capabilities, KernelVersion());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new EngineException($"seccomp profile {path}: not a valid profile: {e.Message}");
        }
    }

    public static OciSeccomp Convert(string json, IReadOnlyCollection<string> capabilities, Version kernel)
    {
        JsonNode profile = JsonNode.Parse(json) ?? throw new EngineException("seccomp profile: null");
        OciSeccomp result = new()
        {
            DefaultAction = (string?)profile["defaultAction"] ?? throw new EngineException("seccomp profile: defaultAction is missing"),
            DefaultErrnoRet = (uint?)profile["defaultErrnoRet"],
            Architectures = [.. Strings(profile["architectures"])],
            Syscalls = [],
        };
        foreach (JsonNode? entry in profile["archMap"]?.AsArray() ?? [])
        {
            if ((string?)entry?["architecture"] != "SCMP_ARCH_X86_64") continue;
            result.Architectures.Add("SCMP_ARCH_X86_64");
            result.Architectures.AddRange(Strings(entry["subArchitectures"]));
        }
        foreach (JsonNode? rule in profile["syscalls"]?.AsArray() ?? [])
        {
            if (rule is null || !Applies(rule, capabilities, kernel)) continue;
            List<string> names = Strings(rule["names"]);
            if ((string?)rule["name"] is { } single) names.Add(single);
            result.Syscalls.Add(new SeccompSyscall
            {
                Names = names,
                Action = (string?)rule["action"] ?? throw new EngineException($"seccomp profile: rule for {string.Join(',', names)} has no action"),
                ErrnoRet = (uint?)rule["errnoRet"],
                Args = rule["args"]?.AsArray().Select(a => new SeccompArg
                {
                    Index = (uint)a!["index"]!,
                    Value = (ulong)a["value"]!,
                    ValueTwo = (ulong?)a["valueTwo"] ?? 0,
                    Op = (string)a["op"]!,
                }).ToList() is { Count: > 0 } args ? args : null,
            });
        }
        return result;
    }

    private static bool Applies(JsonNode rule, IReadOnlyCollection<string> capabilities, Version kernel)
    {
        if (rule["excludes"] is JsonObject excludes)
        {
            if (Strings(excludes["arches"]).Contains(HostArch)) return false;
            if (Strings(excludes["caps"]).Any(capabilities.Contains)) return false;
            if ((string?)excludes["minKernel"] is { Length: > 0 } min && kernel >= ParseKernel(min)) return false;
        }
        if (rule["includes"] is JsonObject includes)
        {
            if (Strings(includes["arches"]) is { Count: > 0 } arches && !arches.Contains(HostArch) && !arches.Contains("x86_64")) return false;
            if (!Strings(includes["caps"]).All(capabilities.Contains)) return false;
            if ((string?)includes["minKernel"] is { Length: > 0 } need && kernel < ParseKernel(need)) return false;
        }
        return true;
    }

    private static List<string> Strings(JsonNode? node) => node?.AsArray().Select(n => (string)n!).ToList() ?? [];

    private static Version ParseKernel(string text)
    {
        string[] parts = text.Split('.', '-');
        return new Version(int.Parse(parts[0]), parts.Length > 1 && int.TryParse(parts[1], out int minor) ? minor : 0);
    }

    private static Version KernelVersion()
    {
        try
        {
            return ParseKernel(File.ReadAllText("/proc/sys/kernel/osrelease").Trim());
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return new Version(0, 0);
        }
    }
}
