using System.Text.Json;
using Skiff.Images.Fs;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Registry;
using Skiff.Images.Store;

namespace Skiff.Images.Transfer;

public sealed class PullOptions
{
    /// <summary>The platform to select from a multi-platform index (default: the host's).</summary>
    public Platform? Platform { get; init; }
    public int MaxConcurrentDownloads { get; init; } = 3;
    /// <summary>Layers unpacked at once (each into its own snapshot).</summary>
    public int MaxConcurrentUnpacks { get; init; } = Environment.ProcessorCount;
}

public sealed record PullResult(ImageRecord Image, ImageReference Reference, bool Updated);

/// <summary>
/// docker pull: resolves the manifest (choosing a platform from an index), downloads layers in
/// parallel into the content store, and unpacks them in order into snapshots while later layers
/// are still downloading. The image is recorded only once every blob and snapshot is in place.
/// </summary>
public sealed class ImagePuller(ImageStores stores, Func<string, RegistryClient> clients)
{
    public async Task<PullResult> PullAsync(ImageReference reference, PullOptions options, ITransferProgress progress, CancellationToken cancellationToken)
    {
        using FileLock lease = await Task.Run(() => FileLock.Shared(stores.Layout.CollectionLock), cancellationToken);
        RegistryClient client = clients(reference.Registry);
        progress.Message($"{reference.Tag ?? reference.Digest?.ToString()}: Pulling from {RepositoryForDisplay(reference)}");

        FetchedManifest top = await client.Manifests.GetAsync(reference.Repository, reference.ManifestReference, cancellationToken);
        bool updated = !stores.Content.Exists(top.Digest);
        FetchedManifest chosen = top;
        Digest? indexDigest = null;
        Platform wanted = options.Platform ?? PlatformMatcher.Host;
        if (MediaTypes.IsIndex(top.MediaType))
        {
            ImageIndex index = Parse(top.Content, ImageJsonContext.Relaxed.ImageIndex, reference);
            Descriptor descriptor = PlatformMatcher.Select(index.Manifests, wanted)
                ?? throw new ImageException($"no matching manifest for {wanted} in the manifest list entries of {reference.FamiliarString}");
            chosen = await client.Manifests.GetAsync(reference.Repository, descriptor.Digest, cancellationToken);
            if (MediaTypes.IsIndex(chosen.MediaType))
                throw new ImageException($"{reference.FamiliarString}: nested image indexes are not supported");
            stores.Content.Write(top.Content);
            indexDigest = top.Digest;
        }
        Manifest manifest = Parse(chosen.Content, ImageJsonContext.Relaxed.Manifest, reference);
        Validate(manifest, reference);

        // The config is small and says what the layers must decompress to (diff_ids).
        Digest configDigest = manifest.Config.ParsedDigest;
        if (!stores.Content.Exists(configDigest))
        {
            updated = true;
            using BlobIngest ingest = await Task.Run(() => stores.Content.BeginIngest(configDigest, manifest.Config.Size), cancellationToken);
            if (!ingest.AlreadyStored) await client.Blobs.DownloadAsync(reference.Repository, manifest.Config, ingest, null, cancellationToken);
        }
        ImageConfig config = Parse(stores.Content.ReadAll(configDigest), ImageJsonContext.Relaxed.ImageConfig, reference);
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
            throw new ImageException($"{reference.FamiliarString}: config lists {config.RootFs.DiffIds.Count} layers, manifest {manifest.Layers.Count}");
        if (!PlatformMatcher.Matches(wanted, config.Platform) && options.Platform is not null && !MediaTypes.IsIndex(top.MediaType))
            throw new ImageException($"image with reference {reference.FamiliarString} was found but does not match the specified platform: wanted {wanted}, actual: {config.Platform}");
        if (!PlatformMatcher.Matches(wanted, config.Platform))
            progress.Message($"WARNING: The requested image's platform ({config.Platform}) does not match the detected host platform ({wanted}) and no specific platform was requested");

        List<Digest> diffIds = [.. config.RootFs.DiffIds.Select(Digest.Parse)];
        List<Digest> chainIds = SnapshotStore.ChainIds(diffIds);
        bool layersChanged = await FetchLayersAsync(client, reference, manifest, diffIds, chainIds, options, progress, cancellationToken);
        updated |= layersChanged;

        stores.Content.Write(chosen.Content);
        long size = chainIds.Sum(chain => stores.Snapshotter.Usage(chain.ToString()));
        ImageRecord record = stores.Metadata.Update(records =>
        {
            ImageRecord entry = ImageRegistrar.Upsert(records, chosen.Digest, chosen.MediaType, chosen.Content.Length, indexDigest, manifest, config, chainIds, size);
            string pinned = $"{reference.Name}@{indexDigest ?? chosen.Digest}";
            foreach (ImageRecord other in records.Images)
                if (!ReferenceEquals(other, entry)) other.RepoDigests.Remove(pinned);
            if (!entry.RepoDigests.Contains(pinned)) entry.RepoDigests.Add(pinned);
            if (reference.Tag is { } tag)
            {
                string name = reference.WithTag(tag).ToString();
                if (!entry.RepoTags.Contains(name)) updated = true;
                ImageCatalog.MoveTag(records, entry, name);
            }
            return entry;
        });

        progress.Message($"Digest: {indexDigest ?? chosen.Digest}");
        progress.Message(updated
            ? $"Status: Downloaded newer image for {reference.FamiliarString}"
            : $"Status: Image is up to date for {reference.FamiliarString}");
        return new PullResult(record, reference, updated);
    }

    /// <summary>Downloads missing blobs in parallel; unpacks missing snapshots in layer order.</summary>
    /// <returns>true if anything was downloaded or unpacked.</returns>
    private async Task<bool> FetchLayersAsync(RegistryClient client, ImageReference reference, Manifest manifest, List<Digest> diffIds,
        List<Digest> chainIds, PullOptions options, ITransferProgress progress, CancellationToken cancellationToken)
    {
        int count = manifest.Layers.Count;
        bool[] needBlob = new bool[count], needSnapshot = new bool[count];
        for (int i = 0; i < count; i++)
        {
            Digest digest = manifest.Layers[i].ParsedDigest;
            needBlob[i] = !stores.Content.Exists(digest);
            needSnapshot[i] = stores.Snapshotter.Stat(chainIds[i].ToString()) is null;
            progress.Layer(digest.Short, needBlob[i] || needSnapshot[i] ? LayerState.PullingFsLayer : LayerState.AlreadyExists);
        }
        if (!needBlob.Contains(true) && !needSnapshot.Contains(true)) return false;

        using CancellationTokenSource failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using SemaphoreSlim slots = new(Math.Max(1, options.MaxConcurrentDownloads));
        Task[] downloads = new Task[count];
        for (int i = 0; i < count; i++)
        {
            Descriptor layer = manifest.Layers[i];
            downloads[i] = needBlob[i] ? DownloadAsync(client, reference, layer, slots, progress, failed) : Task.CompletedTask;
            if (needBlob[i]) progress.Layer(layer.ParsedDigest.Short, LayerState.Waiting);
        }

        // Layers unpack in parallel, each into its own snapshot. Only a layer that implies a directory
        // it does not contain looks at the layers below it, and then waits for them to finish.
        using SemaphoreSlim unpackSlots = new(Math.Max(1, options.MaxConcurrentUnpacks));
        Task[] unpacks = [.. Enumerable.Repeat(Task.CompletedTask, count)];
        try
        {
            for (int i = 0; i < count; i++)
            {
                await downloads[i];
                if (!needSnapshot[i]) continue;
                // Slots are taken in layer order: a layer waiting on lower ones never holds a slot they need.
                await unpackSlots.WaitAsync(failed.Token);
                unpacks[i] = UnpackAsync(manifest.Layers[i], chainIds, diffIds, i, Task.WhenAll(unpacks.Take(i)), unpackSlots, progress, failed);
            }
            await Task.WhenAll(unpacks);
        }
        catch (Exception first)
        {
            failed.Cancel();
            Task[] all = [.. downloads, .. unpacks];
            await Task.WhenAll(all.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            // A layer that failed cancels the others: report its error, not their cancellations.
            if (first is OperationCanceledException && !cancellationToken.IsCancellationRequested
                && all.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException) is { } cause)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            }
            throw;
        }
        return true;
    }

    private Task UnpackAsync(Descriptor layer, List<Digest> chainIds, List<Digest> diffIds, int index, Task lowersDone,
        SemaphoreSlim slots, ITransferProgress progress, CancellationTokenSource failed)
    {
        string id = layer.ParsedDigest.Short;
        List<Digest> lowers = [.. chainIds.Take(index)];
        lowers.Reverse();
        return Task.Run(() =>
        {
            try
            {
                stores.Snapshotter.Commit(chainIds[index], diffIds[index], lowers, () => stores.Content.OpenRead(layer.ParsedDigest),
                    read => progress.Layer(id, LayerState.Extracting, read, layer.Size), failed.Token,
                    waitForParents: () => lowersDone.WaitAsync(failed.Token).GetAwaiter().GetResult());
                progress.Layer(id, LayerState.PullComplete);
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
        }, failed.Token);
    }

    private async Task DownloadAsync(RegistryClient client, ImageReference reference, Descriptor layer, SemaphoreSlim slots,
        ITransferProgress progress, CancellationTokenSource failed)
    {
        string id = layer.ParsedDigest.Short;
        await slots.WaitAsync(failed.Token);
        try
        {
            using BlobIngest ingest = await Task.Run(() => stores.Content.BeginIngest(layer.ParsedDigest, layer.Size), failed.Token);
            if (!ingest.AlreadyStored)
            {
                await client.Blobs.DownloadAsync(reference.Repository, layer, ingest,
                    received => progress.Layer(id, LayerState.Downloading, received, layer.Size), failed.Token);
                progress.Layer(id, LayerState.VerifyingChecksum);
            }
            progress.Layer(id, LayerState.DownloadComplete);
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

    private static void Validate(Manifest manifest, ImageReference reference)
    {
        if (manifest.Config.MediaType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig))
            throw new ImageException($"{reference.FamiliarString}: not a container image (config media type {manifest.Config.MediaType})");
        foreach (Descriptor layer in manifest.Layers)
        {
            if (!MediaTypes.IsLayer(layer.MediaType))
                throw new ImageException($"{reference.FamiliarString}: unsupported layer media type {layer.MediaType}");
            if (!Digest.TryParse(layer.Digest, out _))
                throw new ImageException($"{reference.FamiliarString}: invalid layer digest \"{layer.Digest}\"");
        }
        if (!Digest.TryParse(manifest.Config.Digest, out _))
            throw new ImageException($"{reference.FamiliarString}: invalid config digest \"{manifest.Config.Digest}\"");
    }

    private static T Parse<T>(byte[] content, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, ImageReference reference)
    {
        try
        {
            return JsonSerializer.Deserialize(content, type) ?? throw new ImageException($"{reference.FamiliarString}: empty {typeof(T).Name}");
        }
        catch (JsonException e)
        {
            throw new ImageException($"{reference.FamiliarString}: invalid {typeof(T).Name}: {e.Message}", e);
        }
    }

    /// <summary>Docker prints "library/busybox" for Hub images and the full name elsewhere.</summary>
    private static string RepositoryForDisplay(ImageReference reference) =>
        reference.Registry == ImageReference.DockerHub ? reference.Repository : reference.Name;
}
