using System.Diagnostics;
using Skiff.Images.Mounts;
using Skiff.Images.Oci;
using Skiff.Images.Store;
using Skiff.Images.Tests.Support;
using Skiff.Images.Transfer;

namespace Skiff.Images.Tests;

/// <summary>Registries that fail, processes that die, and skiffs that run at the same time.</summary>
[Collection("registry")]
public sealed class FaultTests(RegistryFixture fixture) : IDisposable
{
    private readonly TestStore _store = new();

    [Fact]
    public async Task Dropped_connection_mid_blob_is_resumed_with_a_range_request()
    {
        using FaultProxy proxy = new(fixture.Registry.Address) { DropsLeft = 2 };
        PullResult result = await _store.Service.PullAsync($"{proxy.Address}/test/big:latest");
        Assert.Equal(3, result.Image.ChainIds.Count);
        Assert.Contains(proxy.RangesSeen, range => range.StartsWith("bytes=", StringComparison.Ordinal) && !range.StartsWith("bytes=0-", StringComparison.Ordinal));
        AssertStoreConsistent(_store.Service.Stores);
    }

    [Fact]
    public async Task Transient_server_errors_are_retried_with_backoff()
    {
        using FaultProxy proxy = new(fixture.Registry.Address) { ManifestFailuresLeft = 3 };
        await _store.Service.PullAsync($"{proxy.Address}/test/shared-a:latest");
        Assert.True(proxy.ManifestFailuresLeft < 0);

        using FaultProxy hopeless = new(fixture.Registry.Address) { ManifestFailuresLeft = 1000 };
        ImageException error = await Assert.ThrowsAsync<ImageException>(() => _store.Service.PullAsync($"{hopeless.Address}/test/shared-a:latest"));
        Assert.Contains("503", error.Message);
    }

    [Fact]
    public async Task Blob_that_does_not_match_its_digest_is_refused_and_leaves_nothing()
    {
        using FaultProxy proxy = new(fixture.Registry.Address) { Corrupt = true };
        ImageException error = await Assert.ThrowsAsync<ImageException>(() => _store.Service.PullAsync($"{proxy.Address}/test/shared-b:latest"));
        Assert.Contains("digest mismatch", error.Message);
        Assert.Empty(_store.Service.Catalog.List());
        ImageStores stores = _store.Service.Stores;
        Assert.Empty(stores.Snapshotter.Walk());
        Assert.Empty(Directory.EnumerateFileSystemEntries(stores.Layout.Snapshots));
        // Only the (small, uncorrupted) config made it in; no layer blob is visible.
        Assert.All(stores.Content.List(), digest => Assert.True(stores.Content.SizeOf(digest) < 1024));
        Assert.Empty(Directory.EnumerateFileSystemEntries(stores.Layout.Snapshots));

        // The next pull through an honest path succeeds from scratch.
        await _store.Service.PullAsync(fixture.Reference("shared-b"));
        AssertStoreConsistent(stores);
    }

    [Fact]
    public async Task Killed_pull_is_resumed_by_the_next_pull()
    {
        using FaultProxy proxy = new(fixture.Registry.Address) { BytesPerSecond = 2_000_000 };
        string image = $"{proxy.Address}/test/big:latest";
        using (Process pull = SkiffProcess.Start(_store.Root, "pull", image))
        {
            try
            {
                string ingest = _store.Service.Stores.Layout.Ingest;
                Stopwatch clock = Stopwatch.StartNew();
                // FileInfo from the enumeration: a finished blob moved out of ingest between listing and
                // looking at it shows as not existing (length 0) instead of throwing.
                while (!new DirectoryInfo(ingest).EnumerateFiles().Any(f => !f.Name.StartsWith("tmp-", StringComparison.Ordinal) && f.Exists && f.Length > 1_000_000))
                {
                    if (pull.HasExited) Assert.Fail("the pull finished before it could be killed: " + pull.StandardError.ReadToEnd());
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "no download progress seen");
                    await Task.Delay(20);
                }
            }
            finally
            {
                pull.Kill(entireProcessTree: true);
                await pull.WaitForExitAsync();
            }
        }
        Assert.Empty(_store.Service.Catalog.List());

        proxy.BytesPerSecond = 0;
        int before = proxy.RangesSeen.Count;
        PullResult result = await _store.Service.PullAsync(image);
        Assert.Contains(proxy.RangesSeen.Skip(before), range => range.StartsWith("bytes=", StringComparison.Ordinal));
        Assert.Equal(3, result.Image.ChainIds.Count);
        AssertStoreConsistent(_store.Service.Stores);
        Assert.Equal(6_000_000, new FileInfo(Path.Combine(_store.Service.GetRootfs(image).LowerDirectories[1], "data/big")).Length);
    }

    [Fact]
    public async Task Concurrent_pulls_of_images_sharing_layers_from_separate_processes()
    {
        using FaultProxy proxy = new(fixture.Registry.Address) { BytesPerSecond = 3_000_000 };
        Task<(int, string, string)>[] pulls =
        [
            SkiffProcess.RunAsync(_store.Root, "pull", $"{proxy.Address}/test/shared-a:latest"),
            SkiffProcess.RunAsync(_store.Root, "pull", $"{proxy.Address}/test/shared-b:latest"),
            SkiffProcess.RunAsync(_store.Root, "pull", $"{proxy.Address}/test/shared-a:latest"),
        ];
        // Meanwhile this process lists, and removes an unrelated image.
        string busyboxLayer = Assert.Single(_store.Service.ImportBusybox().ChainIds);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(0, (await CliRunner.RunAsync(_store.Root, "images")).Exit);
            await Task.Delay(50);
        }
        CliResult rmi = await CliRunner.RunAsync(_store.Root, "rmi", "busybox");
        Assert.Equal(0, rmi.Exit);
        foreach ((int exit, string output, string error) in await Task.WhenAll(pulls))
            Assert.True(exit == 0, $"{output}\n{error}");

        ImageStores stores = _store.Service.Stores;
        Assert.Equal(2, stores.Catalog.List().Count);
        // rmi collects busybox's snapshot at once, unless a pull holds the store just then (which one
        // depends on how far the pulls got): then the next collection does. Either way exactly once.
        string[] left = rmi.Out.Contains($"Deleted: {busyboxLayer}", StringComparison.Ordinal) ? [] : [busyboxLayer];
        Assert.Equal(left, _store.Service.CollectGarbage().Snapshots.Select(d => d.ToString()));
        Assert.Equal(3, stores.Snapshotter.Walk().Count());
        AssertStoreConsistent(stores);
        SortedDictionary<string, string> a = _store.MergedTree($"{proxy.Address}/test/shared-a:latest");
        Assert.Contains("data/a", a.Keys);
        Assert.Contains("bin/busybox", a.Keys);
    }

    [Fact]
    public async Task Collection_removes_what_crashed_unpacks_left_and_keeps_every_snapshot()
    {
        await _store.Service.PullAsync(fixture.Reference("whiteouts"));
        ImageStores stores = _store.Service.Stores;
        List<Snapshot> Snapshots() => [.. stores.Snapshotter.Walk().OrderBy(s => s.Key, StringComparer.Ordinal)];
        List<Snapshot> before = Snapshots();
        // A staging directory of an unpack that never finished, and a layer's directory that a crash
        // left without its info.json: neither is a snapshot, both are debris.
        string staging = Directory.CreateDirectory(Path.Combine(stores.Layout.Snapshots, new string('a', 64) + ".tmp", "fs")).Parent!.FullName;
        string unfinished = Directory.CreateDirectory(Path.Combine(stores.Layout.Snapshots, new string('b', 64), "fs")).Parent!.FullName;
        Assert.Equal(before, Snapshots());

        CollectionResult collected = _store.Service.CollectGarbage();
        Assert.Empty(collected.Snapshots);
        Assert.False(Directory.Exists(staging));
        Assert.False(Directory.Exists(unfinished));
        Assert.Equal(before, Snapshots());
        AssertStoreConsistent(stores);
    }

    /// <summary>Every blob matches its name, every image's blobs and snapshots exist, and collection finds no debris to keep.</summary>
    private static void AssertStoreConsistent(ImageStores stores)
    {
        foreach (Digest blob in stores.Content.List())
            Assert.True(blob.Matches(File.ReadAllBytes(stores.Content.PathOf(blob))), $"blob {blob} does not match its digest");
        foreach (ImageRecord image in stores.Catalog.List())
        {
            Assert.True(stores.Content.Exists(Digest.Parse(image.ManifestDigest)));
            Assert.True(stores.Content.Exists(Digest.Parse(image.Id)));
            Assert.All(image.Layers, layer => Assert.True(stores.Content.Exists(Digest.Parse(layer))));
            Assert.All(image.ChainIds, chain => Assert.NotNull(stores.Snapshotter.Stat(chain)));
        }
        CollectionResult collected = new GarbageCollector(stores).Collect(wait: true)!;
        Assert.Empty(collected.Snapshots);
        Assert.Empty(Directory.EnumerateDirectories(stores.Layout.Snapshots, "*.tmp"));
    }

    public void Dispose() => _store.Dispose();
}
