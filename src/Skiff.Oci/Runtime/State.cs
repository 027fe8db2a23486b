using System.Text.Json.Serialization;

namespace Skiff.Oci.Runtime;

/// <summary>The state a runtime reports (`state` verb) and hands to hooks on stdin.</summary>
public sealed class State
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = SpecVersion.Current;
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }

    /// <summary>The document as the `state` verb prints it and hooks read it on stdin, written without System.Text.Json (see <see cref="JsonText"/>).</summary>
    public string ToJson(bool indented) => new JsonText(indented).StartObject()
        .String("ociVersion", OciVersion).String("id", Id).String("status", Status).Number("pid", Pid).String("bundle", Bundle)
        .Map("annotations", Annotations)
        .EndObject().ToString();
}

public static class SpecVersion
{
    public const string Current = "1.2.0";
}

/// <summary>The four states of the OCI lifecycle, spelled as the spec spells them.</summary>
public static class ContainerStatus
{
    public const string Creating = "creating";
    public const string Created = "created";
    public const string Running = "running";
    public const string Stopped = "stopped";
    public const string Paused = "paused";
}
