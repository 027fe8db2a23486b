using System.Text.Json.Serialization;
using Skiff.Cgroups.Stats;

namespace Skiff.Runc.Output;

/// <summary>One line of `events`, in runc's shape: {"type":"stats","id":ID,"data":{...}} or {"type":"oom","id":ID}.</summary>
internal sealed class EventLine
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public CgroupStats? Data { get; set; }
}

[JsonSourceGenerationOptions]
[JsonSerializable(typeof(EventLine))]
[JsonSerializable(typeof(IReadOnlyList<int>))]
internal sealed partial class EventJsonContext : JsonSerializerContext;
