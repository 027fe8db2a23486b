using System.Text.Json;
using Skiff.Images.Oci;
using Skiff.Images.Tests.Support;
using Skiff.Images.Transfer;

namespace Skiff.Images.Tests;

/// <summary>Pushes read back by skopeo, the independent implementation.</summary>
[Collection("registry")]
public sealed class PushTests(RegistryFixture fixture) : IDisposable
{
    private readonly TestStore _store = new(uploadChunkSize: 1024 * 1024);

    [Fact]
    public async Task Pushed_image_reads_back_with_skopeo_under_the_same_digest()
    {
        PullResult pulled = await _store.Service.PullAsync(fixture.Reference("big"));
        using RegistryServer fresh = new();
        string target = $"{fresh.Address}/copies/big:v1";
        RecordingProgress progress = new();
        PushResult pushed = await _store.Service.PushAsync(fixture.Reference("big"), target, progress);

        Assert.Equal(pulled.Image.ManifestDigest, pushed.ManifestDigest.ToString());
        Assert.Contains(progress.Lines, l => l == $"v1: digest: {pushed.ManifestDigest} size: {pushed.ManifestSize}");
        Assert.Equal(3, progress.States.Count(s => s.State == LayerState.Pushed));

        using JsonDocument inspect = JsonDocument.Parse(Tools.Run("skopeo", "inspect", "--tls-verify=false", $"docker://{target}"));
        Assert.Equal(pushed.ManifestDigest.ToString(), inspect.RootElement.GetProperty("Digest").GetString());
        Assert.Equal(pulled.Image.Layers, inspect.RootElement.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()!).ToList());
        // The 6 MB layer went up in 1 MiB PATCH chunks, the small ones in one PUT: skopeo copies both back intact.
        string copy = _store.Directory.Combine("copy");
        Tools.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{target}", $"dir:{copy}");
        foreach (string layer in pulled.Image.Layers)
            Assert.Equal(File.ReadAllBytes(_store.Service.Stores.Content.PathOf(Digest.Parse(layer))), File.ReadAllBytes(Path.Combine(copy, Digest.Parse(layer).Hex)));
        // Docker records where an image was pushed as a repo digest; the pushed name itself is not a local tag.
        Assert.Equal(pulled.Image.Id, _store.Service.Catalog.Resolve($"{fresh.Address}/copies/big@{pushed.ManifestDigest}").Id);
        Assert.Null(_store.Service.Catalog.TryResolve(target));

        // Pushing again: every layer is already there.
        RecordingProgress again = new();
        await _store.Service.PushAsync(fixture.Reference("big"), target, again);
        Assert.Equal(3, again.States.Count(s => s.State == LayerState.LayerAlreadyExists));
    }

    [Fact]
    public async Task Push_within_a_registry_mounts_layers_from_the_source_repository()
    {
        await _store.Service.PullAsync(fixture.Reference("shared-a"));
        string repository = $"mounted-{Guid.NewGuid():N}"[..20];
        RecordingProgress progress = new();
        await _store.Service.PushAsync(fixture.Reference("shared-a"), $"{fixture.Registry.Address}/{repository}/a:1", progress);
        Assert.Equal(2, progress.States.Count(s => s.State == LayerState.Mounted));
        Assert.DoesNotContain(progress.States, s => s.State == LayerState.Pushed);
        Tools.Run("skopeo", "inspect", "--tls-verify=false", $"docker://{fixture.Registry.Address}/{repository}/a:1");
    }

    [Fact]
    public async Task Push_of_an_untagged_name_is_refused()
    {
        await _store.Service.PullAsync(fixture.Reference("shared-a"));
        ImageNotFoundException error = await Assert.ThrowsAsync<ImageNotFoundException>(() => _store.Service.PushAsync($"{fixture.Registry.Address}/test/shared-a:other"));
        Assert.Contains("does not exist locally", error.Message);
    }

    public void Dispose() => _store.Dispose();
}
