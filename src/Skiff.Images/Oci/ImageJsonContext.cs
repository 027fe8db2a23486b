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
public sealed partial class ImageJsonContext : JsonSerializerContext;
