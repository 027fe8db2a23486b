using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Skiff.Images.Tests.Support;

/// <summary>
/// A bearer token server as the distribution token spec describes (what Docker Hub runs): Basic
/// credentials in, an RS256 JWT with the granted scopes out, signed by a key whose certificate the
/// registry trusts (rootcertbundle) and carries in the x5c header.
/// </summary>
public sealed class TokenServer : IDisposable
{
    public const string Issuer = "skiff-test-issuer";
    public const string Service = "skiff-test-registry";

    private readonly HttpListener _listener;
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly Dictionary<string, string> _users;
    private readonly Task _loop;

    public int Port { get; }
    public string Realm => $"http://127.0.0.1:{Port}/token";
    public string CertificatePath { get; }
    public List<string> Requests { get; } = [];

    public TokenServer(string directory, Dictionary<string, string> users)
    {
        _users = users;
        CertificateRequest request = new("CN=skiff test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        CertificatePath = Path.Combine(directory, "token-issuer.pem");
        File.WriteAllText(CertificatePath, _certificate.ExportCertificatePem());
        (_listener, Port) = LoopbackPort.Listen("127.0.0.1");
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The registry's auth section for this server.</summary>
    public string RegistryAuthSection =>
        $"  token:\n    realm: {Realm}\n    service: {Service}\n    issuer: {Issuer}\n    rootcertbundle: {CertificatePath}\n";

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            try { Handle(context); }
            finally { context.Response.Close(); }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        lock (Requests) Requests.Add(context.Request.Url!.Query);
        string? user = null;
        string? header = context.Request.Headers["Authorization"];
        if (header is not null)
        {
            if (!header.StartsWith("Basic ", StringComparison.Ordinal)) { context.Response.StatusCode = 401; return; }
            string[] pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..])).Split(':', 2);
            if (pair.Length != 2 || !_users.TryGetValue(pair[0], out string? password) || password != pair[1])
            {
                context.Response.StatusCode = 401;
                return;
            }
            user = pair[0];
        }
        if (context.Request.QueryString["service"] is { } service && service != Service) { context.Response.StatusCode = 400; return; }

        // Logged-in users get what they ask for; anonymous callers get a token with no access.
        List<object> access = [];
        foreach (string scope in context.Request.QueryString.GetValues("scope") ?? [])
        {
            string[] parts = scope.Split(':');
            if (parts.Length == 3 && user is not null)
                access.Add(new Dictionary<string, object> { ["type"] = parts[0], ["name"] = parts[1], ["actions"] = parts[2].Split(',') });
        }
        string token = Sign(user ?? "", access);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["token"] = token, ["expires_in"] = 300 });
        context.Response.ContentType = "application/json";
        context.Response.OutputStream.Write(body);
    }

    private string Sign(string subject, List<object> access)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["typ"] = "JWT", ["alg"] = "RS256", ["x5c"] = new[] { Convert.ToBase64String(_certificate.RawData) },
        }));
        string claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Issuer, ["sub"] = subject, ["aud"] = Service, ["exp"] = now + 300, ["nbf"] = now - 30, ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"), ["access"] = access,
        }));
        byte[] signature = _key.SignData(Encoding.ASCII.GetBytes($"{header}.{claims}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{claims}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _certificate.Dispose();
        _key.Dispose();
    }
}
