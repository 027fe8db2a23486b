using Skiff.Images.Fs;
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
        foreach (var container in stores.ContainerLayers.List()) liveSnapshots.UnionWith(container.ChainIds);

        long reclaimed = 0;
        List<Digest> blobs = [], snapshots = [];
        foreach (Digest blob in stores.Content.List().ToList())
        {
            if (liveBlobs.Contains(blob.ToString())) continue;
            reclaimed += stores.Content.SizeOf(blob);
            stores.Content.Delete(blob);
            blobs.Add(blob);
        }
        foreach (Digest snapshot in stores.Snapshots.List().ToList())
        {
            if (liveSnapshots.Contains(snapshot.ToString())) continue;
            reclaimed += stores.Snapshots.Info(snapshot)?.Size ?? 0;
            stores.Snapshots.Remove(snapshot);
            snapshots.Add(snapshot);
        }
        // Debris of killed processes: unpacks that never completed, downloads nobody will resume.
        foreach (string directory in Directory.EnumerateDirectories(stores.Layout.Snapshots, "*.tmp").ToList())
            ScopedFs.RemoveTree(directory);
        foreach (string file in Directory.EnumerateFiles(stores.Layout.Ingest).ToList())
        {
            reclaimed += new FileInfo(file).Length;
            File.Delete(file);
        }
        foreach (string file in Directory.EnumerateFiles(stores.Layout.Locks).ToList())
            File.Delete(file);
        return new CollectionResult(blobs, snapshots, reclaimed);
    }
}
