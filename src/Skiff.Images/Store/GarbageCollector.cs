using Skiff.Images.Fs;
using Skiff.Images.Mounts;
using Skiff.Images.Oci;

namespace Skiff.Images.Store;

public sealed record CollectionResult(List<Digest> Blobs, List<Digest> Snapshots, long ReclaimedBytes);

/// <summary>
/// Mark and sweep: blobs and snapshots that no image record (and no container layer) reaches are
/// removed, with interrupted downloads and unpack debris. It runs under the exclusive collection
/// lock, which every operation that adds or reads content holds shared, so nothing it removes can
/// be in use.
/// </summary>
public sealed class GarbageCollector(ImageStores stores)
{
    /// <param name="wait">false: give up at once (returning null) if another skiff is pulling or saving.</param>
    public CollectionResult? Collect(bool wait)
    {
        using FileLock? exclusive = wait ? FileLock.Exclusive(stores.Layout.CollectionLock) : FileLock.TryExclusive(stores.Layout.CollectionLock);
        if (exclusive is null) return null;

        ImageRecordsFile records = stores.Metadata.Read();
        HashSet<string> liveBlobs = [];
        HashSet<string> liveSnapshots = [];
        foreach (ImageRecord image in records.Images)
        {
            liveBlobs.Add(image.Id);
            liveBlobs.Add(image.ManifestDigest);
            if (image.IndexDigest is { } index) liveBlobs.Add(index);
            liveBlobs.UnionWith(image.Layers);
            liveSnapshots.UnionWith(image.ChainIds);
        }
        List<Snapshot> snapshots = [.. stores.Snapshotter.Walk()];
        // A container's layer keeps its whole chain alive, even when its image is gone.
        foreach (Snapshot container in snapshots.Where(s => s.Kind == SnapshotKind.Active))
            for (string? parent = container.Parent; parent is not null && liveSnapshots.Add(parent);)
                parent = stores.Snapshotter.Stat(parent)?.Parent;

        long reclaimed = 0;
        List<Digest> blobs = [], removed = [];
        foreach (Digest blob in stores.Content.List().ToList())
        {
            if (liveBlobs.Contains(blob.ToString())) continue;
            reclaimed += stores.Content.SizeOf(blob);
            stores.Content.Delete(blob);
            blobs.Add(blob);
        }
        foreach (Snapshot snapshot in snapshots.Where(s => s.Kind == SnapshotKind.Committed))
        {
            if (liveSnapshots.Contains(snapshot.Key)) continue;
            reclaimed += stores.Snapshotter.Usage(snapshot.Key);
            stores.Snapshotter.Remove(snapshot.Key);
            removed.Add(Digest.Parse(snapshot.Key));
        }
        // Debris of killed processes: unpacks that never completed, downloads nobody will resume.
        stores.Snapshotter.RemoveDebris();
        foreach (string file in Directory.EnumerateFiles(stores.Layout.Ingest).ToList())
        {
            reclaimed += new FileInfo(file).Length;
            File.Delete(file);
        }
        foreach (string file in Directory.EnumerateFiles(stores.Layout.Locks).ToList())
            File.Delete(file);
        return new CollectionResult(blobs, removed, reclaimed);
    }
}
