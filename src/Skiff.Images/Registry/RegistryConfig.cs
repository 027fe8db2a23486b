using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Skiff.Images.References;

namespace Skiff.Images.Registry;

/// <summary>
/// Registry settings from /etc/skiff/registries.json (or --registries-config):
/// { "default-registry": "docker.io", "insecure-registries": ["myhost:5000"],
///   "max-concurrent-downloads": 3, "max-concurrent-uploads": 5 }.
/// Nothing here assumes the internet: short names go to the default registry, whatever it is.
/// </summary>
public sealed class RegistryConfig
{
    public const string DefaultPath = "/etc/skiff/registries.json";

    [JsonPropertyName("default-registry")] public string DefaultRegistry { get; set; } = ImageReference.DockerHub;
    [JsonPropertyName("insecure-registries")] public List<string> InsecureRegistries { get; set; } = [];
    [JsonPropertyName("max-concurrent-downloads")] public int MaxConcurrentDownloads { get; set; } = 3;
    [JsonPropertyName("max-concurrent-uploads")] public int MaxConcurrentUploads { get; set; } = 5;

    public static RegistryConfig Load(string? path)
    {
        string file = path ?? Environment.GetEnvironmentVariable("SKIFF_REGISTRIES_CONFIG") ?? DefaultPath;
        if (!File.Exists(file))
        {
            if (path is not null) throw new ImageException($"registries config {path}: no such file");
            return new RegistryConfig();
        }
        try
        {
            using FileStream stream = File.OpenRead(file);
            RegistryConfig config = JsonSerializer.Deserialize(stream, RegistryJsonContext.Default.RegistryConfig) ?? new RegistryConfig();
            if (config.MaxConcurrentDownloads < 1 || config.MaxConcurrentUploads < 1)
                throw new ImageException($"registries config {file}: concurrency limits must be at least 1");
            return config;
        }
        catch (JsonException e)
        {
            throw new ImageException($"registries config {file}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Whether plain HTTP and unverified certificates are acceptable for a host: listed hosts, and
    /// loopback addresses as Docker treats them.
    /// </summary>
    public bool IsInsecure(string host)
    {
        if (InsecureRegistries.Contains(host, StringComparer.OrdinalIgnoreCase)) return true;
        string name = StripPort(host);
        if (InsecureRegistries.Contains(name, StringComparer.OrdinalIgnoreCase)) return true;
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(name.Trim('[', ']'), out IPAddress? address) && IPAddress.IsLoopback(address);
    }

    private static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']');
            return close > 0 ? host[..(close + 1)] : host;
        }
        int colon = host.LastIndexOf(':');
        return colon > 0 ? host[..colon] : host;
    }
}
