using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Skiff.Engine.Network.Cni;

/// <summary>A plugin's success reply (the CNI 1.0 result): what it made and where.</summary>
internal sealed class CniResult
{
    [JsonPropertyName("cniVersion")] public string? CniVersion { get; set; }
    [JsonPropertyName("interfaces")] public List<CniInterface> Interfaces { get; set; } = [];
    [JsonPropertyName("ips")] public List<CniIpConfig> Ips { get; set; } = [];
    [JsonPropertyName("routes")] public List<CniRoute> Routes { get; set; } = [];
    [JsonPropertyName("dns")] public CniDns? Dns { get; set; }
}

internal sealed class CniInterface
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("mac")] public string? Mac { get; set; }
    /// <summary>The netns path for an interface inside the container; absent for the host's side.</summary>
    [JsonPropertyName("sandbox")] public string? Sandbox { get; set; }
}

internal sealed class CniIpConfig
{
    [JsonPropertyName("address")] public string Address { get; set; } = "";
    [JsonPropertyName("gateway")] public string? Gateway { get; set; }
    /// <summary>An index into the result's interfaces.</summary>
    [JsonPropertyName("interface")] public int? Interface { get; set; }
}

internal sealed class CniRoute
{
    [JsonPropertyName("dst")] public string Dst { get; set; } = "";
    [JsonPropertyName("gw")] public string? Gw { get; set; }
}

internal sealed class CniDns
{
    [JsonPropertyName("nameservers")] public List<string>? Nameservers { get; set; }
    [JsonPropertyName("domain")] public string? Domain { get; set; }
    [JsonPropertyName("search")] public List<string>? Search { get; set; }
    [JsonPropertyName("options")] public List<string>? Options { get; set; }
}

/// <summary>A plugin's failure reply, printed on stdout with a non-zero exit.</summary>
internal sealed class CniError
{
    [JsonPropertyName("cniVersion")] public string? CniVersion { get; set; }
    [JsonPropertyName("code")] public uint Code { get; set; }
    [JsonPropertyName("msg")] public string? Msg { get; set; }
    [JsonPropertyName("details")] public string? Details { get; set; }
}

/// <summary>
/// What an ADD was run with and what it returned, kept until the DEL: the spec has DEL receive the
/// ADD's result, and running DEL with the configuration ADD saw means a network whose definition
/// changed (or whose list was removed) is still torn down the way it was set up.
/// </summary>
internal sealed class CniCacheEntry
{
    [JsonPropertyName("kind")] public string Kind { get; set; } = "cniCacheV1";
    [JsonPropertyName("containerId")] public string ContainerId { get; set; } = "";
    [JsonPropertyName("ifName")] public string IfName { get; set; } = "";
    [JsonPropertyName("networkName")] public string NetworkName { get; set; } = "";
    [JsonPropertyName("cniArgs")] public List<string[]> CniArgs { get; set; } = [];
    [JsonPropertyName("runtimeConfig")] public JsonObject RuntimeConfig { get; set; } = [];
    [JsonPropertyName("config")] public JsonObject Config { get; set; } = [];
    [JsonPropertyName("result")] public JsonObject? Result { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CniResult))]
[JsonSerializable(typeof(CniError))]
[JsonSerializable(typeof(CniCacheEntry))]
internal sealed partial class CniJsonContext : JsonSerializerContext;
