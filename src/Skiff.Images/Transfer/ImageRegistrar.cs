using System.Text.Json;
using Skiff.Images.Oci;
using Skiff.Images.Store;

namespace Skiff.Images.Transfer;

/// <summary>
/// Turns a manifest whose blobs are all in the content store into a usable image: unpacks the
/// missing snapshots in layer order, then records the image and its names. Load and import end here.
/// </summary>
public sealed class ImageRegistrar(ImageStores stores)
{
    public ImageRecord Register(Digest manifestDigest, string mediaType, Digest? indexDigest, IEnumerable<string> repoTags,
        IEnumerable<string> repoDigests, ITransferProgress progress, CancellationToken cancellationToken)
    {
        byte[] manifestBytes = stores.Content.ReadAll(manifestDigest);
        Manifest manifest = JsonSerializer.Deserialize(manifestBytes, ImageJsonContext.Relaxed.Manifest)
            ?? throw new ImageException($"manifest {manifestDigest}: empty");
        Digest configDigest = manifest.Config.ParsedDigest;
        ImageConfig config = JsonSerializer.Deserialize(stores.Content.ReadAll(configDigest), ImageJsonContext.Relaxed.ImageConfig)
            ?? throw new ImageException($"config {configDigest}: empty");
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
            throw new ImageException($"image {configDigest}: config lists {config.RootFs.DiffIds.Count} layers, manifest {manifest.Layers.Count}");

        List<Digest> diffIds = [.. config.RootFs.DiffIds.Select(Digest.Parse)];
        List<Digest> chainIds = SnapshotStore.ChainIds(diffIds);
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            Descriptor layer = manifest.Layers[i];
            Digest blob = layer.ParsedDigest;
            if (!stores.Content.Exists(blob)) throw new ImageException($"image {configDigest}: layer {blob} is missing");
            string id = blob.Short;
            List<Digest> lowers = [.. chainIds.Take(i)];
            lowers.Reverse();
            long size = stores.Content.SizeOf(blob);
            bool made = stores.Snapshotter.Commit(chainIds[i], diffIds[i], lowers, () => stores.Content.OpenRead(blob),
                read => progress.Layer(id, LayerState.Extracting, read, size), cancellationToken);
            progress.Layer(id, made ? LayerState.PullComplete : LayerState.AlreadyExists);
        }

        long unpacked = chainIds.Sum(chain => stores.Snapshotter.Usage(chain.ToString()));
        return stores.Metadata.Update(records =>
        {
            ImageRecord record = Upsert(records, manifestDigest, mediaType, manifestBytes.Length, indexDigest, manifest, config, chainIds, unpacked);
            foreach (string digest in repoDigests)
                if (!record.RepoDigests.Contains(digest)) record.RepoDigests.Add(digest);
            foreach (string tag in repoTags) ImageCatalog.MoveTag(records, record, tag);
            return record;
        });
    }

    /// <summary>The record of <paramref name="manifestDigest"/> (added if new), filled from its manifest and config; names are the caller's.</summary>
    internal static ImageRecord Upsert(ImageRecordsFile records, Digest manifestDigest, string mediaType, int manifestSize, Digest? indexDigest,
        Manifest manifest, ImageConfig config, List<Digest> chainIds, long unpackedSize)
    {
        ImageRecord record = records.Images.FirstOrDefault(r => r.ManifestDigest == manifestDigest.ToString()) ?? Add(records);
        record.Id = manifest.Config.ParsedDigest.ToString();
        record.ManifestDigest = manifestDigest.ToString();
        record.ManifestMediaType = mediaType;
        record.ManifestSize = manifestSize;
        record.IndexDigest = indexDigest?.ToString() ?? record.IndexDigest;
        record.Layers = [.. manifest.Layers.Select(l => l.Digest)];
        record.ChainIds = [.. chainIds.Select(c => c.ToString())];
        record.Created = config.Created;
        record.Size = unpackedSize;
        record.Platform = config.Platform.ToString();
        return record;
    }

    private static ImageRecord Add(ImageRecordsFile records)
    {
        ImageRecord record = new() { Added = DateTimeOffset.UtcNow };
        records.Images.Add(record);
        return record;
    }
}
