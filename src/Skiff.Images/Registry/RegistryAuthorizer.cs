using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Skiff.Images.Registry;

/// <summary>
/// The Authorization header for each request scope: none (anonymous), Basic from the login, or a
/// Bearer token fetched from the challenge's realm and cached per scope.
/// </summary>
internal sealed class RegistryAuthorizer(string registry, RegistryOptions options, HttpClient http)
{
    private readonly ConcurrentDictionary<string, string> _tokens = new();
    /// <summary>Read once per client (every request of a pull would otherwise reread the auth file),
    /// and again when the registry turns a request down, in case a login happened meanwhile.</summary>
    private Lazy<Credential?> _credential = ReadCredential(registry, options);

    /// <summary>The challenge of GET /v2/, or of the last request turned down; null: anonymous.</summary>
    public AuthChallenge? Challenge { get; set; }

    private Credential? Credential => _credential.Value;

    private static Lazy<Credential?> ReadCredential(string registry, RegistryOptions options) =>
        new(() => options.Credential ?? options.AuthFile?.Get(registry));

    /// <summary>A challenge after we authorized: a wider scope is needed, or the token expired.</summary>
    /// <returns>The scope to retry with.</returns>
    public string Rechallenge(AuthChallenge challenge, string scope)
    {
        Challenge = challenge;
        _credential = ReadCredential(registry, options);
        _tokens.TryRemove(scope, out _);
        if (challenge.Scope is { Length: > 0 } wanted && !scope.Contains(wanted, StringComparison.Ordinal))
            return scope.Length == 0 ? wanted : $"{scope} {wanted}";
        return scope;
    }

    /// <summary>The Authorization value for a scope, fetching a bearer token when challenged for one.</summary>
    public async Task<string?> AuthorizationAsync(string scope, CancellationToken cancellationToken)
    {
        if (Challenge is not { } challenge) return null;
        if (challenge.IsBasic) return Credential is { } basic ? "Basic " + basic.BasicHeaderValue : null;
        if (!challenge.IsBearer) return null;
        if (_tokens.TryGetValue(scope, out string? cached)) return cached;

        string realm = challenge.Realm ?? throw new ImageException($"registry {registry}: bearer challenge without a realm");
        StringBuilder query = new();
        if (challenge.Service is { } service) query.Append("service=").Append(Uri.EscapeDataString(service));
        foreach (string one in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(one));
        UriBuilder builder = new(realm) { Query = query.ToString() };
        using HttpRequestMessage request = new(HttpMethod.Get, builder.Uri);
        if (Credential is { } credential) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue);
        using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new ImageException($"registry {registry}: unauthorized: authentication required (token server {builder.Host} refused {(Credential is null ? "anonymous access" : "the credentials")})");
        await RegistryTransport.EnsureSuccessAsync(response, $"token from {realm}");
        TokenResponse? token = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(cancellationToken), RegistryJsonContext.Default.TokenResponse);
        string value = token?.Token ?? token?.AccessToken ?? throw new ImageException($"registry {registry}: token server answered without a token");
        string authorization = "Bearer " + value;
        _tokens[scope] = authorization;
        return authorization;
    }
}
