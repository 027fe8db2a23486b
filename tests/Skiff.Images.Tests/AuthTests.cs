using System.Text.Json;
using Skiff.Images.Registry;
using Skiff.Images.Tests.Support;

namespace Skiff.Images.Tests;

/// <summary>Registries that want credentials: bearer tokens from a token server, and htpasswd basic auth.</summary>
public sealed class AuthTests : IDisposable
{
    private readonly TempDirectory _temp = new("skiff-auth");
    private readonly TestStore _store;
    private readonly string _authFile;

    public AuthTests()
    {
        _authFile = _temp.Combine("config.json");
        _store = new TestStore(authFile: _authFile);
    }

    [Fact]
    public async Task Token_auth_needs_a_login_and_honours_it_on_pull_and_push()
    {
        using TokenServer tokens = new(_temp.Path, new() { ["alice"] = "wonderland" });
        using RegistryServer registry = new(tokens.RegistryAuthSection);
        string image = $"{registry.Address}/private/busybox:1";
        string layout = _temp.CreateDirectory("layout");
        OciLayoutBuilder builder = new(layout);
        builder.AddImage([builder.AddLayer(TestImages.BusyboxRootfs(), Archive.LayerCompression.Gzip)], tag: "1");
        builder.Finish();
        Tools.Run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:wonderland", $"oci:{layout}:1", $"docker://{image}");

        ImageException anonymous = await Assert.ThrowsAsync<ImageException>(() => _store.Service.PullAsync(image));
        Assert.Contains("pull access denied", anonymous.Message);

        CliResult wrong = await CliRunner.RunWithInputAsync(_store.Root, "wrong\n", "login", "--authfile", _authFile, "-u", "alice", "--password-stdin", registry.Address);
        Assert.Equal(1, wrong.Exit);
        Assert.Contains("unauthorized", wrong.Error);
        Assert.False(File.Exists(_authFile));

        CliResult login = await CliRunner.RunWithInputAsync(_store.Root, "wonderland\n", "login", "--authfile", _authFile, "-u", "alice", "--password-stdin", registry.Address);
        Assert.True(login.Exit == 0, login.Error);
        Assert.Equal("Login Succeeded\n", login.Out);
        using (JsonDocument config = JsonDocument.Parse(File.ReadAllText(_authFile)))
            Assert.Equal(Convert.ToBase64String("alice:wonderland"u8.ToArray()), config.RootElement.GetProperty("auths").GetProperty(registry.Address).GetProperty("auth").GetString());
        Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(_authFile), 8));

        await _store.Service.PullAsync(image);
        await _store.Service.PushAsync(image, $"{registry.Address}/private/copy:2");
        Assert.Contains(tokens.Requests, q => q.Contains("scope=repository%3Aprivate%2Fcopy%3Apull%2Cpush", StringComparison.Ordinal));
        Tools.Run("skopeo", "inspect", "--tls-verify=false", "--creds", "alice:wonderland", $"docker://{registry.Address}/private/copy:2");

        CliResult logout = await CliRunner.RunAsync(_store.Root, "logout", "--authfile", _authFile, registry.Address);
        Assert.True(logout.Exit == 0, logout.Error);
        Assert.Equal($"Removing login credentials for {registry.Address}\n", logout.Out);
        Assert.Equal($"Not logged in to {registry.Address}\n", (await CliRunner.RunAsync(_store.Root, "logout", "--authfile", _authFile, registry.Address)).Out);
        using TestStore fresh = new(authFile: _authFile);
        await Assert.ThrowsAsync<ImageException>(() => fresh.Service.PullAsync(image));
    }

    [Fact]
    public async Task Basic_auth_from_htpasswd_and_credentials_kept_beside_other_settings()
    {
        string htpasswd = _temp.Combine("htpasswd");
        File.WriteAllText(htpasswd, Tools.Run("htpasswd", "-Bbn", "bob", "builder"));
        using RegistryServer registry = new($"  htpasswd:\n    realm: basic-realm\n    path: {htpasswd}\n");
        // An auth file that already holds other settings and a login elsewhere: both must survive.
        File.WriteAllText(_authFile, """{"auths":{"other.example:5000":{"auth":"eDp5"}},"psFormat":"table {{.ID}}"}""");

        await Assert.ThrowsAsync<ImageException>(() => _store.Service.LoginAsync(registry.Address, new Credential("bob", "nope")));
        await _store.Service.LoginAsync($"http://{registry.Address}/v2/", new Credential("bob", "builder"));
        using (JsonDocument config = JsonDocument.Parse(File.ReadAllText(_authFile)))
        {
            Assert.Equal("table {{.ID}}", config.RootElement.GetProperty("psFormat").GetString());
            Assert.True(config.RootElement.GetProperty("auths").TryGetProperty("other.example:5000", out _));
        }

        string layout = _temp.CreateDirectory("layout");
        OciLayoutBuilder builder = new(layout);
        builder.AddImage([builder.AddLayer(TestImages.SmallLayer("x", 1000, 9), Archive.LayerCompression.Gzip)], tag: "1");
        builder.Finish();
        Tools.Run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "bob:builder", $"oci:{layout}:1", $"docker://{registry.Address}/team/x:1");
        await _store.Service.PullAsync($"{registry.Address}/team/x:1");
        await _store.Service.PushAsync($"{registry.Address}/team/x:1", $"{registry.Address}/team/y:1");
        Assert.True(_store.Service.Logout(registry.Address));
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }
}
