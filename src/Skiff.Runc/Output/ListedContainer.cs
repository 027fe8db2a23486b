using System.Text.Json.Serialization;

namespace Skiff.Runc.Output;

/// <summary>One element of `list --format json`, with runc's field names and order.</summary>
internal sealed class ListedContainer
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = "";
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("rootfs")] public string Rootfs { get; set; } = "";
    /// <summary>RFC 3339 with nanoseconds, as Go marshals a time.</summary>
    [JsonPropertyName("created")] public string Created { get; set; } = "";
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    [JsonPropertyName("owner")] public string Owner { get; set; } = "";
}

/// <summary>Compact, as runc's json.Encoder writes the list.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<ListedContainer>))]
internal sealed partial class RuncJsonContext : JsonSerializerContext;
