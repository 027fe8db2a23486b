using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Skiff.Images.Registry;
using Skiff.Images.Tests.Support;

namespace Skiff.Images.Tests;

/// <summary>TLS, redirects to blob storage, and the insecure-registries setting.</summary>
[Collection("registry")]
public sealed class TransportTests(RegistryFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new("skiff-transport");

    [Fact]
    public async Task Tls_registry_is_verified_unless_told_otherwise()
    {
        using RSA key = RSA.Create(2048);
        CertificateRequest request = new("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        SubjectAlternativeNameBuilder names = new();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certPath = _temp.Combine("cert.pem"), keyPath = _temp.Combine("key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        using RegistryServer registry = new(tls: (certPath, keyPath));
        string layout = _temp.CreateDirectory("layout");
        OciLayoutBuilder builder = new(layout);
        builder.AddImage([builder.AddLayer(TestImages.SmallLayer("tls", 5000, 7), Archive.LayerCompression.Gzip)], tag: "1");
        builder.Finish();
        Tools.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci:{layout}:1", $"docker://{registry.Address}/secure/img:1");

        // Loopback registries are insecure by default, as in Docker: HTTPS with any certificate.
        using (TestStore loopback = new())
            await loopback.Service.PullAsync($"{registry.Address}/secure/img:1");
        // Asked to verify, skiff refuses the self-signed certificate and says how to proceed.
        using (TestStore strict = new(tlsVerify: true))
        {
            ImageException error = await Assert.ThrowsAsync<ImageException>(() => strict.Service.PullAsync($"{registry.Address}/secure/img:1"));
            Assert.Contains("--tls-verify=false", error.Message);
        }
    }

    [Fact]
    public async Task Insecure_registries_setting_allows_plain_http_for_a_named_host()
    {
        // "localhost" is loopback too, so the setting is shown with a host that is not: the
        // registry is reached through a name listed in insecure-registries, and refused without it.
        RegistryConfig listed = new() { InsecureRegistries = ["registry.test:5000"] };
        Assert.True(listed.IsInsecure("registry.test:5000"));
        Assert.False(new RegistryConfig().IsInsecure("registry.test:5000"));
        Assert.True(new RegistryConfig().IsInsecure("[::1]:5000"));
        Assert.True(new RegistryConfig().IsInsecure("localhost"));

        using TestStore store = new(tlsVerify: false);
        await store.Service.PullAsync(fixture.Reference("shared-b"));
    }

    [Fact]
    public async Task Blob_redirects_are_followed_without_registry_credentials()
    {
        string htpasswd = _temp.Combine("htpasswd");
        File.WriteAllText(htpasswd, Tools.Run("htpasswd", "-Bbn", "user", "secret"));
        using RegistryServer registry = new($"  htpasswd:\n    realm: basic-realm\n    path: {htpasswd}\n");
        string layout = _temp.CreateDirectory("layout");
        OciLayoutBuilder builder = new(layout);
        builder.AddImage([builder.AddLayer(TestImages.SmallLayer("redirected", 50_000, 8), Archive.LayerCompression.Gzip)], tag: "1");
        builder.Finish();
        Tools.Run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "user:secret", $"oci:{layout}:1", $"docker://{registry.Address}/private/img:1");

        string basic = "Basic " + Convert.ToBase64String("user:secret"u8.ToArray());
        using FaultProxy proxy = new(registry.Address) { RedirectBlobs = true, StorageAuthorization = basic };
        string authFile = _temp.Combine("auth.json");
        new AuthFile(authFile).Store(proxy.Address, new Credential("user", "secret"));
        using TestStore store = new(authFile: authFile);
        await store.Service.PullAsync($"{proxy.Address}/private/img:1");
        Assert.True(proxy.BlobRequests > 0);
        // The registry got the login; the storage host it redirected to (another authority) did not.
        Assert.Empty(proxy.AuthorizationAtStorage);
    }

    public void Dispose() => _temp.Dispose();
}
