using System.Text.Json.Serialization;

namespace Skiff.Engine.Network;

[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NetworkDefinition))]
[JsonSerializable(typeof(NetworkSetup))]
[JsonSerializable(typeof(NetworkStatus))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class NetworkJsonContext : JsonSerializerContext;
