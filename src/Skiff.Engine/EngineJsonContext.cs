using System.Text.Json.Serialization;
using Skiff.Engine.Config;
using Skiff.Engine.Containers;
using Skiff.Engine.Monitor;

namespace Skiff.Engine;

[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EngineConfig))]
[JsonSerializable(typeof(ContainerRequest))]
[JsonSerializable(typeof(ContainerState))]
[JsonSerializable(typeof(ConmonReport))]
[JsonSerializable(typeof(List<int>))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
