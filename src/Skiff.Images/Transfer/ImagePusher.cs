using Skiff.Images.Fs;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Registry;
using Skiff.Images.Store;

namespace Skiff.Images.Transfer;

public sealed record PushResult(ImageReference Destination, Digest ManifestDigest, long ManifestSize);

/// <summary>
/// docker push: layers and config go first (skipped when the registry has them, mounted from a
/// repository of the same registry the image came from when it can), then the manifest, byte for
/// byte as stored, so the pushed digest is the pulled digest.
/// </summary>
public sealed class ImagePusher(ImageStores stores, Func<string, RegistryClient> clients)
{
    public async Task<PushResult> PushAsync(ImageRecord image, ImageReference destination, int maxConcurrentUploads,
        ITransferProgress progress, CancellationToken cancellationToken)
    {
        using FileLock lease = await Task.Run(() => FileLock.Shared(stores.Layout.CollectionLock), cancellationToken);
        RegistryClient client = clients(destination.Registry);
        string tag = destination.Tag ?? ImageReference.DefaultTag;
        progress.Message($"The push refers to repository [{destination.FamiliarName}]");

        Manifest manifest = stores.ReadManifest(image);
        Digest manifestDigest = Digest.Parse(image.ManifestDigest);
        byte[] manifestBytes = stores.Content.ReadAll(manifestDigest);
        List<string> mountSources = [.. image.RepoTags.Concat(image.RepoDigests)
            .Select(ImageCatalog.NameOf)
            .Where(name => name.StartsWith(destination.Registry + "/", StringComparison.Ordinal) && name != destination.Name)
            .Select(name => name[(destination.Registry.Length + 1)..])
            .Distinct()];

        List<Descriptor> layers = [.. manifest.Layers.Where(l => !MediaTypes.IsForeignLayer(l.MediaType))];
        foreach (Descriptor layer in layers) progress.Layer(layer.ParsedDigest.Short, LayerState.Preparing);
        using SemaphoreSlim slots = new(Math.Max(1, maxConcurrentUploads));
        using CancellationTokenSource failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task[] uploads = [.. layers.Select(layer => PushBlobAsync(client, destination, layer, mountSources, slots, progress, failed))];
        await Task.WhenAll(uploads);

        await PushBlobAsync(client, destination, manifest.Config, mountSources, slots, NullProgress.Instance, failed);
        Digest pushed = await client.Manifests.PutAsync(destination.Repository, tag, manifestBytes, image.ManifestMediaType, cancellationToken);
        progress.Message($"{tag}: digest: {pushed} size: {manifestBytes.Length}");

        string pinned = $"{destination.Name}@{pushed}";
        stores.Metadata.Update(records =>
        {
            ImageRecord? stored = records.Images.FirstOrDefault(r => r.ManifestDigest == image.ManifestDigest);
            if (stored is not null && !stored.RepoDigests.Contains(pinned)) stored.RepoDigests.Add(pinned);
            return 0;
        });
        return new PushResult(destination.WithTag(tag), pushed, manifestBytes.Length);
    }

    private async Task PushBlobAsync(RegistryClient client, ImageReference destination, Descriptor blob, List<string> mountSources,
        SemaphoreSlim slots, ITransferProgress progress, CancellationTokenSource failed)
    {
        Digest digest = blob.ParsedDigest;
        string id = digest.Short;
        await slots.WaitAsync(failed.Token);
        try
        {
            if (!stores.Content.Exists(digest))
                throw new ImageException($"blob {digest} of the image is missing from the store (pull the image again)");
            if (await client.Uploads.ExistsAsync(destination.Repository, digest, failed.Token))
            {
                progress.Layer(id, LayerState.LayerAlreadyExists);
                return;
            }
            foreach (string source in mountSources)
            {
                if (await client.Uploads.MountAsync(destination.Repository, digest, source, failed.Token))
                {
                    progress.Layer(id, LayerState.Mounted);
                    return;
                }
            }
            long size = stores.Content.SizeOf(digest);
            await client.Uploads.UploadAsync(destination.Repository, digest, size, () => stores.Content.OpenRead(digest),
                sent => progress.Layer(id, LayerState.Pushing, sent, size), failed.Token);
            progress.Layer(id, LayerState.Pushed);
        }
        catch
        {
            failed.Cancel();
            throw;
        }
        finally
        {
            slots.Release();
        }
    }
}
