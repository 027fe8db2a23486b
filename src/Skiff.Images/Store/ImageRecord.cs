using System.Text.Json.Serialization;

namespace Skiff.Images.Store;

/// <summary>
/// One image in the store: the manifest it was pulled, loaded or imported as, and the names that
/// point at it. Docker's image id is the config digest, so two records can share an id (the same
/// image with differently compressed layers).
/// </summary>
public sealed class ImageRecord
{
    /// <summary>The config blob's digest: Docker's image id.</summary>
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("manifest")] public string ManifestDigest { get; set; } = "";
    [JsonPropertyName("manifestMediaType")] public string ManifestMediaType { get; set; } = "";
    [JsonPropertyName("manifestSize")] public long ManifestSize { get; set; }
    /// <summary>The index (multi-platform list) the manifest was chosen from, if any.</summary>
    [JsonPropertyName("index")] public string? IndexDigest { get; set; }
    [JsonPropertyName("repoTags")] public List<string> RepoTags { get; set; } = [];
    [JsonPropertyName("repoDigests")] public List<string> RepoDigests { get; set; } = [];
    /// <summary>Layer blob digests, in manifest order (what push and save send).</summary>
    [JsonPropertyName("layers")] public List<string> Layers { get; set; } = [];
    /// <summary>Snapshot chain ids, bottom layer first: the snapshots this image needs.</summary>
    [JsonPropertyName("chainIds")] public List<string> ChainIds { get; set; } = [];
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; set; }
    [JsonPropertyName("added")] public DateTimeOffset Added { get; set; }
    /// <summary>Bytes of the unpacked layers.</summary>
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("platform")] public string Platform { get; set; } = "";
}

/// <summary>The images.json document.</summary>
public sealed class ImageRecordsFile
{
    [JsonPropertyName("images")] public List<ImageRecord> Images { get; set; } = [];
}

/// <summary>A snapshot's info.json: what it is, for listing and collection.</summary>
public sealed class SnapshotInfo
{
    [JsonPropertyName("chainId")] public string ChainId { get; set; } = "";
    [JsonPropertyName("parent")] public string? Parent { get; set; }
    [JsonPropertyName("diffId")] public string DiffId { get; set; } = "";
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("created")] public DateTimeOffset Created { get; set; }
}

/// <summary>rw/ID/layer.json: which image a container's writable layer sits on.</summary>
public sealed class ContainerLayerInfo
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("image")] public string ImageId { get; set; } = "";
    [JsonPropertyName("chainIds")] public List<string> ChainIds { get; set; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageRecordsFile))]
[JsonSerializable(typeof(SnapshotInfo))]
[JsonSerializable(typeof(ContainerLayerInfo))]
public sealed partial class StoreJsonContext : JsonSerializerContext
{
    /// <summary>As Default, but escaping only what JSON requires ('+' in media types stays '+', as Go writes it).</summary>
    public static StoreJsonContext Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
