using System.Text.Json.Serialization;

namespace Skiff.Images.Oci;

/// <summary>An image manifest: OCI image-spec manifest.md, also Docker's schema 2 (same shape).</summary>
public sealed class Manifest
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; set; }
    [JsonPropertyName("config")] public Descriptor Config { get; set; } = new();
    [JsonPropertyName("layers")] public List<Descriptor> Layers { get; set; } = [];
    [JsonPropertyName("subject")] public Descriptor? Subject { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>An image index (OCI) or manifest list (Docker): one manifest per platform.</summary>
public sealed class ImageIndex
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; set; }
    [JsonPropertyName("manifests")] public List<Descriptor> Manifests { get; set; } = [];
    [JsonPropertyName("subject")] public Descriptor? Subject { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>Just enough of any manifest-like document to tell what it is.</summary>
public sealed class ManifestProbe
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("manifests")] public List<Descriptor>? Manifests { get; set; }
    [JsonPropertyName("config")] public Descriptor? Config { get; set; }
    [JsonPropertyName("layers")] public List<Descriptor>? Layers { get; set; }
}

/// <summary>OCI image-layout's oci-layout file.</summary>
public sealed class OciLayoutFile
{
    [JsonPropertyName("imageLayoutVersion")] public string ImageLayoutVersion { get; set; } = "1.0.0";
}

/// <summary>Well-known annotation keys.</summary>
public static class Annotations
{
    public const string RefName = "org.opencontainers.image.ref.name";
    public const string ContainerdImageName = "io.containerd.image.name";
    public const string Created = "org.opencontainers.image.created";
}
