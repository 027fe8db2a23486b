using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skiff.Engine.Config;

/// <summary>
/// The engine's configuration file (<see cref="DefaultPath"/>, or $SKIFF_ENGINE_CONFIG): which OCI
/// runtimes exist by name, which is the default, and the helper programs the engine runs. Every
/// field is optional; a missing file means the defaults.
/// </summary>
public sealed class EngineConfig
{
    public const string DefaultPath = "/etc/skiff/engine.json";

    /// <summary>The runtime <c>run --runtime</c> names when it is not given.</summary>
    [JsonPropertyName("default_runtime")] public string DefaultRuntime { get; set; } = "skiff-runc";

    /// <summary>Runtime name to executable. A name not listed is looked up on PATH; a path is used as is.</summary>
    [JsonPropertyName("runtimes")] public Dictionary<string, string> Runtimes { get; set; } = [];

    /// <summary>Every container's cgroup is made below this one (Docker's --cgroup-parent).</summary>
    [JsonPropertyName("cgroup_parent")] public string CgroupParent { get; set; } = "/skiff";

    [JsonPropertyName("conmon_path")] public string ConmonPath { get; set; } = "/usr/bin/conmon";

    /// <summary>The init that <c>--init</c> binds into the container read-only.</summary>
    [JsonPropertyName("init_path")] public string InitPath { get; set; } = "/usr/bin/catatonit";

    /// <summary>The default seccomp profile: containers-common's, the one Podman applies.</summary>
    [JsonPropertyName("seccomp_profile")] public string SeccompProfile { get; set; } = "/usr/share/containers/seccomp.json";

    /// <summary>The network stack: "netavark" (the default) or "cni".</summary>
    [JsonPropertyName("network_backend")] public string NetworkBackend { get; set; } = "netavark";

    [JsonPropertyName("netavark_path")] public string NetavarkPath { get; set; } = "/usr/lib/podman/netavark";

    /// <summary>The DNS server netavark starts for networks with DNS enabled.</summary>
    [JsonPropertyName("aardvark_dns_path")] public string AardvarkDnsPath { get; set; } = "/usr/lib/podman/aardvark-dns";

    /// <summary>Where the cni network backend looks for plugins, in order (CNI_PATH).</summary>
    [JsonPropertyName("cni_plugin_dirs")] public List<string> CniPluginDirs { get; set; } = ["/usr/lib/cni", "/opt/cni/bin"];

    public static EngineConfig Load(string? path)
    {
        string file = path ?? (Environment.GetEnvironmentVariable("SKIFF_ENGINE_CONFIG") is { Length: > 0 } env ? env : DefaultPath);
        if (!File.Exists(file))
        {
            if (path is not null) throw new EngineException($"engine config {file}: no such file");
            return new EngineConfig();
        }
        try
        {
            using FileStream stream = File.OpenRead(file);
            return JsonSerializer.Deserialize(stream, EngineJsonContext.Default.EngineConfig)
                ?? throw new EngineException($"engine config {file}: the file holds null");
        }
        catch (JsonException e)
        {
            throw new EngineException($"engine config {file}: invalid JSON at line {e.LineNumber + 1}: {e.Path}");
        }
    }

    /// <summary>The executable of runtime <paramref name="name"/>: the table's entry, a path, or a PATH lookup.</summary>
    public string ResolveRuntime(string? name)
    {
        string wanted = string.IsNullOrEmpty(name) ? DefaultRuntime : name;
        if (Runtimes.TryGetValue(wanted, out string? configured)) wanted = configured;
        if (wanted.Contains('/'))
            return File.Exists(wanted) ? Path.GetFullPath(wanted) : throw new EngineException($"runtime {wanted}: no such file");
        // skiff and skiff-runc ship together: the one beside this executable is the default's fallback.
        if (ProgramLookup.Find(wanted) is { } found) return found;
        string? beside = Environment.ProcessPath is { } self ? Path.Combine(Path.GetDirectoryName(self)!, wanted) : null;
        return beside is not null && File.Exists(beside) ? beside : throw new EngineException($"runtime \"{wanted}\" not found: not in the engine config's runtimes and not on PATH");
    }
}

/// <summary>execvp's search, for the helper programs the engine starts.</summary>
public static class ProgramLookup
{
    public static string? Find(string name)
    {
        string path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (string directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
