using System.Text.Json.Nodes;
using System.Text.Json;
using Skiff.Images.Fs;

namespace Skiff.Engine.Network.Cni;

/// <summary>A CNI network configuration list (a ".conflist"): the network's name, spec version and plugin chain.</summary>
internal sealed class CniNetworkList(string name, string cniVersion, IReadOnlyList<JsonObject> plugins, bool disableCheck = false)
{
    public const string SpecVersion = "1.0.0";

    public string Name { get; } = name;
    public string CniVersion { get; } = cniVersion;
    public IReadOnlyList<JsonObject> Plugins { get; } = plugins;
    public bool DisableCheck { get; } = disableCheck;

    public JsonObject ToJson()
    {
        JsonObject json = new()
        {
            ["cniVersion"] = CniVersion,
            ["name"] = Name,
            ["plugins"] = new JsonArray(Plugins.Select(p => (JsonNode)p.DeepClone()).ToArray()),
        };
        if (DisableCheck) json["disableCheck"] = true;
        return json;
    }

    /// <summary>Reads a list, with errors that name <paramref name="source"/> and what is wrong.</summary>
    public static CniNetworkList FromJson(JsonObject json, string source)
    {
        string name = json["name"] is JsonValue n && n.TryGetValue(out string? s) && s.Length > 0 ? s
            : throw new EngineException($"CNI network configuration {source}: no \"name\"");
        string version = json["cniVersion"] is JsonValue v && v.TryGetValue(out string? ver) ? ver : SpecVersion;
        if (json["plugins"] is not JsonArray array || array.Count == 0)
            throw new EngineException($"CNI network configuration {source}: no \"plugins\"");
        List<JsonObject> plugins = [];
        foreach (JsonNode? plugin in array)
        {
            if (plugin is not JsonObject o || o["type"] is not JsonValue t || !t.TryGetValue(out string? _))
                throw new EngineException($"CNI network configuration {source}: every plugin needs a \"type\"");
            plugins.Add((JsonObject)o.DeepClone());
        }
        bool disableCheck = json["disableCheck"] is JsonValue d && d.TryGetValue(out bool b) && b;
        return new CniNetworkList(name, version, plugins, disableCheck);
    }

    public static CniNetworkList Load(string path)
    {
        try
        {
            return FromJson(JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new EngineException($"CNI network configuration {path}: not a JSON object"), path);
        }
        catch (JsonException e)
        {
            throw new EngineException($"CNI network configuration {path}: invalid JSON: {e.Message}");
        }
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
