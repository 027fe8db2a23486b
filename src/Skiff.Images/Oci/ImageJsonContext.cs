using System.Text.Json.Serialization;

namespace Skiff.Images.Oci;

/// <summary>
/// Source-generated JSON for the image-spec documents. Compact output: bytes written here become
/// content whose digest others compute, so no indentation.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowTrailingCommas = true)]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ManifestProbe))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(OciLayoutFile))]
[JsonSerializable(typeof(List<string>))]
public sealed partial class ImageJsonContext : JsonSerializerContext
{
    /// <summary>As Default, but escaping only what JSON requires ('+' in media types stays '+', as Go writes it).</summary>
    public static ImageJsonContext Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowTrailingCommas = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
