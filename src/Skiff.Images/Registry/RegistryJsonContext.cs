using System.Text.Json.Serialization;

namespace Skiff.Images.Registry;

/// <summary>A bearer token endpoint's answer (distribution's token spec: token or access_token).</summary>
public sealed class TokenResponse
{
    [JsonPropertyName("token")] public string? Token { get; set; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; set; }
    [JsonPropertyName("expires_in")] public int? ExpiresIn { get; set; }
}

public sealed class TagList
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("tags")] public List<string>? Tags { get; set; }
}

/// <summary>The distribution spec's error body.</summary>
public sealed class ErrorResponse
{
    [JsonPropertyName("errors")] public List<RegistryError>? Errors { get; set; }
}

public sealed class RegistryError
{
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}

/// <summary>What docker-credential-* helpers read and print.</summary>
public sealed class HelperCredentials
{
    [JsonPropertyName("ServerURL")] public string? ServerUrl { get; set; }
    [JsonPropertyName("Username")] public string? Username { get; set; }
    [JsonPropertyName("Secret")] public string? Secret { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(RegistryConfig))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HelperCredentials))]
public sealed partial class RegistryJsonContext : JsonSerializerContext;
