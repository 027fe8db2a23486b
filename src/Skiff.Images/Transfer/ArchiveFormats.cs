using System.Text.Json.Serialization;

namespace Skiff.Images.Transfer;

public enum ArchiveFormat
{
    /// <summary>Docker's `docker save` tar: manifest.json, and (as Docker 25 writes it) an OCI layout too.</summary>
    DockerArchive,
    /// <summary>An OCI image layout in a tar (podman's oci-archive).</summary>
    OciArchive,
}

/// <summary>One entry of a docker-archive manifest.json.</summary>
public sealed class DockerArchiveEntry
{
    [JsonPropertyName("Config")] public string Config { get; set; } = "";
    [JsonPropertyName("RepoTags")] public List<string>? RepoTags { get; set; }
    [JsonPropertyName("Layers")] public List<string> Layers { get; set; } = [];
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<DockerArchiveEntry>))]
public sealed partial class ArchiveJsonContext : JsonSerializerContext
{
    /// <summary>As Default, but escaping only what JSON requires ('+' in media types stays '+', as Go writes it).</summary>
    public static ArchiveJsonContext Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
