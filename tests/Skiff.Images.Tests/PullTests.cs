using Skiff.Images.Oci;
using Skiff.Images.Store;
using Skiff.Images.Tests.Support;
using Skiff.Images.Transfer;

namespace Skiff.Images.Tests;

/// <summary>Pulls from Debian's docker-registry of images skopeo published there.</summary>
[Collection("registry")]
public sealed class PullTests(RegistryFixture fixture) : IDisposable
{
    private readonly TestStore _store = new();

    [Theory]
    [InlineData("single", "oci-gzip", MediaTypes.OciManifest)]
    [InlineData("single", "docker", MediaTypes.DockerManifest)]
    [InlineData("zstd", "latest", MediaTypes.OciManifest)]
    [InlineData("plain", "latest", MediaTypes.OciManifest)]
    public async Task Pulled_image_matches_what_umoci_unpacks(string repository, string tag, string mediaType)
    {
        PullResult result = await _store.Service.PullAsync(fixture.Reference(repository, tag));
        Assert.True(result.Updated);
        Assert.Equal(mediaType, result.Image.ManifestMediaType);
        Assert.Equal(2, result.Image.ChainIds.Count);
        Assert.Contains($"{fixture.Registry.Address}/test/{repository}:{tag}", result.Image.RepoTags);

        ImageRootfs rootfs = _store.Service.GetRootfs(fixture.Reference(repository, tag));
        Assert.Equal(["sh"], rootfs.Config.Config!.Cmd);
        Assert.Equal(2, rootfs.LowerDirectories.Count);

        // Docker schema 2 is skopeo's conversion, and umoci 0.4 cannot read zstd: both are compared
        // with umoci's unpack of the OCI gzip original, which holds the same layers.
        (string layout, string layoutTag) = repository is "zstd" || tag == "docker"
            ? (fixture.LayoutOf["single:oci-gzip"], "oci-gzip")
            : (fixture.LayoutOf[$"{repository}:{tag}"], tag);
        AssertSameAsUmoci(layout, layoutTag, fixture.Reference(repository, tag));
    }

    [Fact]
    public async Task Whiteouts_and_opaque_directories_merge_like_umoci()
    {
        await _store.Service.PullAsync(fixture.Reference("whiteouts"));
        SortedDictionary<string, string> merged = AssertSameAsUmoci(fixture.LayoutOf["whiteouts:latest"], "latest", fixture.Reference("whiteouts"));
        Assert.DoesNotContain("etc/motd", merged.Keys);
        Assert.DoesNotContain("usr/share", merged.Keys);
        Assert.DoesNotContain("var/cache/apt", merged.Keys);
        Assert.Contains("var/cache/new", merged.Keys);
        Assert.StartsWith("fifo", merged["etc/fifo-device"]);
    }

    [Fact]
    public async Task Multi_platform_index_picks_the_host_or_the_asked_platform()
    {
        PullResult host = await _store.Service.PullAsync(fixture.Reference("multi"));
        Assert.Equal(fixture.MultiAmd64Manifest, host.Image.ManifestDigest);
        Assert.Equal("linux/amd64", host.Image.Platform);
        Assert.NotNull(host.Image.IndexDigest);
        Assert.Contains($"{fixture.Registry.Address}/test/multi@{host.Image.IndexDigest}", host.Image.RepoDigests);

        PullResult arm = await _store.Service.PullAsync(fixture.Reference("multi"), new PullOptions { Platform = PlatformMatcher.Parse("linux/arm64") });
        Assert.Equal(fixture.MultiArm64Manifest, arm.Image.ManifestDigest);
        Assert.Equal(["echo", "arm64"], _store.Service.Stores.ReadConfig(arm.Image).Config!.Cmd);
        // The tag moved to the arm64 image; the amd64 one is left dangling, as in Docker.
        Assert.Empty(_store.Service.Catalog.Resolve(host.Image.Id).RepoTags);

        ImageException none = await Assert.ThrowsAsync<ImageException>(() =>
            _store.Service.PullAsync(fixture.Reference("multi"), new PullOptions { Platform = PlatformMatcher.Parse("linux/s390x") }));
        Assert.Contains("no matching manifest for linux/s390x", none.Message);
    }

    [Fact]
    public async Task Second_pull_is_up_to_date_and_shared_layers_are_stored_once()
    {
        RecordingProgress first = new();
        await _store.Service.PullAsync(fixture.Reference("shared-a"), progress: first);
        Assert.Contains(first.Lines, l => l.StartsWith("Status: Downloaded newer image for", StringComparison.Ordinal));

        RecordingProgress again = new();
        PullResult repeat = await _store.Service.PullAsync(fixture.Reference("shared-a"), progress: again);
        Assert.False(repeat.Updated);
        Assert.Contains(again.Lines, l => l.StartsWith("Status: Image is up to date for", StringComparison.Ordinal));
        Assert.DoesNotContain(again.States, s => s.State == LayerState.Downloading);

        RecordingProgress other = new();
        PullResult b = await _store.Service.PullAsync(fixture.Reference("shared-b"), progress: other);
        Assert.Contains(other.States, s => s.State == LayerState.AlreadyExists);
        Assert.Single(other.States.Where(s => s.State == LayerState.PullComplete).Select(s => s.Id).Distinct());
        // Three distinct layers in all: the shared base and one each.
        Assert.Equal(3, _store.Service.Stores.Snapshotter.Walk().Count());
        Assert.Equal(repeat.Image.ChainIds[0], b.Image.ChainIds[0]);
    }

    [Fact]
    public async Task Layers_unpacked_in_parallel_still_take_implied_directories_from_below()
    {
        await _store.Service.PullAsync(fixture.Reference("implied"));
        string top = _store.Service.GetRootfs(fixture.Reference("implied")).LowerDirectories[0];
        Assert.StartsWith("dir mode=750 uid=33 gid=33", TreeState.Describe(Path.Combine(top, "srv")));
        Assert.StartsWith("dir mode=750 uid=33 gid=33", _store.MergedTree(fixture.Reference("implied"))["srv"]);
    }

    [Fact]
    public async Task Pull_by_digest_and_short_names_resolve()
    {
        PullResult tagged = await _store.Service.PullAsync(fixture.Reference("single", "oci-gzip"));
        string byDigest = $"{fixture.Registry.Address}/test/single@{tagged.Image.ManifestDigest}";
        PullResult pinned = await _store.Service.PullAsync(byDigest);
        Assert.Equal(tagged.Image.Id, pinned.Image.Id);
        Assert.Equal(tagged.Image.Id, _store.Service.Catalog.Resolve(byDigest).Id);
        Assert.Equal(tagged.Image.Id, _store.Service.Catalog.Resolve(Digest.Parse(tagged.Image.Id).Short).Id);

        ImageNotFoundException missing = await Assert.ThrowsAsync<ImageNotFoundException>(() => _store.Service.PullAsync(fixture.Reference("single", "nope")));
        Assert.Contains("not found", missing.Message);
        ImageException badDigest = await Assert.ThrowsAsync<ImageNotFoundException>(() =>
            _store.Service.PullAsync($"{fixture.Registry.Address}/test/single@sha256:{new string('0', 64)}"));
        Assert.Contains("manifest unknown", badDigest.Message);
    }

    [Fact]
    public async Task Removing_images_collects_unshared_content()
    {
        PullResult a = await _store.Service.PullAsync(fixture.Reference("shared-a"));
        PullResult b = await _store.Service.PullAsync(fixture.Reference("shared-b"));
        List<string> report = _store.Service.Remove(fixture.Reference("shared-a"), force: false);
        Assert.Contains($"Untagged: {fixture.Registry.Address}/test/shared-a:latest", report);
        Assert.Contains($"Deleted: {a.Image.Id}", report);
        ImageStores stores = _store.Service.Stores;
        Assert.Null(stores.Snapshotter.Stat(a.Image.ChainIds[1]));
        Assert.NotNull(stores.Snapshotter.Stat(a.Image.ChainIds[0]));   // shared with b
        Assert.False(stores.Content.Exists(Digest.Parse(a.Image.Layers[1])));
        Assert.True(stores.Content.Exists(Digest.Parse(b.Image.Layers[0])));

        _store.Service.Remove(b.Image.Id, force: false);
        Assert.Empty(stores.Snapshotter.Walk());
        Assert.Empty(stores.Content.List());
        Assert.Throws<ImageNotFoundException>(() => _store.Service.Remove("nothing:here", false));
    }

    private SortedDictionary<string, string> AssertSameAsUmoci(string layout, string tag, string reference)
    {
        string bundle = _store.Directory.Combine("umoci-" + Guid.NewGuid().ToString("N")[..8]);
        Tools.Run("umoci", "unpack", "--image", $"{layout}:{tag}", bundle);
        SortedDictionary<string, string> expected = TreeState.Capture(Path.Combine(bundle, "rootfs"), includeTimes: true, includeRootTimes: false);
        SortedDictionary<string, string> actual = _store.MergedTree(reference);
        List<string> differences = Differences(expected, actual);
        Assert.True(differences.Count == 0, string.Join("\n", differences));
        return actual;
    }

    private static List<string> Differences(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual)
    {
        List<string> differences = [];
        foreach (string key in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
        {
            string? want = expected.GetValueOrDefault(key), got = actual.GetValueOrDefault(key);
            if (want != got) differences.Add($"{key}: umoci [{want}] skiff [{got}]");
        }
        return differences;
    }

    public void Dispose() => _store.Dispose();
}

public sealed class RecordingProgress : ITransferProgress
{
    public List<string> Lines { get; } = [];
    public List<(string Id, LayerState State)> States { get; } = [];

    public void Layer(string id, LayerState state, long current = 0, long total = 0)
    {
        lock (States) States.Add((id, state));
    }

    public void Message(string line)
    {
        lock (Lines) Lines.Add(line);
    }
}
