using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Oci.Runtime;

namespace DockerSeccomp;

/// <summary>
/// (Its own namespace: the integration tests compile this file too, where a Skiff.Seccomp namespace
/// would hide the OCI Seccomp type.) Turns a Docker seccomp profile (archMap, includes/excludes) into the OCI section an engine hands
/// its runtime, the way dockerd does for an x86-64 host: the amd64 archMap entry with its
/// sub-architectures, and each entry kept or dropped by architecture, capabilities and kernel version.
/// </summary>
public static class DockerProfile
{
    /// <summary>The capabilities Docker gives a container by default.</summary>
    public static readonly string[] DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static string DefaultJsonPath => Path.Combine(AppContext.BaseDirectory, "Profiles", "docker-default.json");

    public static Skiff.Oci.Runtime.Seccomp LoadDefault(IReadOnlyCollection<string>? capabilities = null, Version? kernel = null) =>
        Convert(File.ReadAllText(DefaultJsonPath), capabilities ?? DefaultCapabilities, kernel ?? new Version(6, 18));

    public static Skiff.Oci.Runtime.Seccomp Convert(string json, IReadOnlyCollection<string> capabilities, Version kernel)
    {
        const string arch = "amd64";
        JsonNode profile = JsonNode.Parse(json)!;
        var result = new Skiff.Oci.Runtime.Seccomp
        {
            DefaultAction = (string)profile["defaultAction"]!,
            DefaultErrnoRet = (uint?)profile["defaultErrnoRet"],
            Architectures = new List<string>(),
            Syscalls = new List<SeccompSyscall>(),
        };
        foreach (JsonNode? entry in profile["archMap"]?.AsArray() ?? [])
        {
            if ((string)entry!["architecture"]! != "SCMP_ARCH_X86_64")
                continue;
            result.Architectures.Add("SCMP_ARCH_X86_64");
            result.Architectures.AddRange(entry["subArchitectures"]!.AsArray().Select(a => (string)a!));
        }
        foreach (JsonNode? call in profile["syscalls"]!.AsArray())
        {
            JsonObject? includes = call!["includes"]?.AsObject();
            JsonObject? excludes = call["excludes"]?.AsObject();
            if (excludes is not null && (Strings(excludes["arches"]).Contains(arch)
                || Strings(excludes["caps"]).Any(capabilities.Contains)
                || (excludes["minKernel"] is JsonNode min && kernel >= Version.Parse((string)min!))))
                continue;
            if (includes is not null && ((Strings(includes["arches"]) is { Count: > 0 } arches && !arches.Contains(arch))
                || !Strings(includes["caps"]).All(capabilities.Contains)
                || (includes["minKernel"] is JsonNode need && kernel < Version.Parse((string)need!))))
                continue;
            result.Syscalls.Add(new SeccompSyscall
            {
                Names = Strings(call["names"]),
                Action = (string)call["action"]!,
                ErrnoRet = (uint?)call["errnoRet"],
                Args = call["args"]?.AsArray().Select(a => new SeccompArg
                {
                    Index = (uint)a!["index"]!,
                    Value = (ulong)a["value"]!,
                    ValueTwo = (ulong?)a["valueTwo"] ?? 0,
                    Op = (string)a["op"]!,
                }).ToList(),
            });
        }
        return result;
    }

    static List<string> Strings(JsonNode? node) => node?.AsArray().Select(n => (string)n!).ToList() ?? [];
}
