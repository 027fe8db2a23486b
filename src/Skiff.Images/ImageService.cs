using Skiff.Images.Fs;
using Skiff.Images.Mounts;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Registry;
using Skiff.Images.Store;
using Skiff.Images.Transfer;

namespace Skiff.Images;

public sealed class ImageServiceOptions
{
    /// <summary>The store root (--root); /var/lib/skiff by default.</summary>
    public string Root { get; init; } = StoreLayout.DefaultRoot;
    public RegistryConfig Registries { get; init; } = new();
    /// <summary>Docker-style config.json holding logins; null means <see cref="AuthFile.DefaultPath"/>.</summary>
    public string? AuthFilePath { get; init; }
    /// <summary>--tls-verify: null follows insecure-registries (and loopback), false disables TLS checks.</summary>
    public bool? TlsVerify { get; init; }
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);
    public long UploadChunkSize { get; init; } = 32L * 1024 * 1024;
}

/// <summary>What the engine needs to start a container from an image.</summary>
/// <param name="LowerDirectories">The image's snapshot directories, topmost first (overlayfs lowerdir order).</param>
public sealed record ImageRootfs(ImageRecord Image, ImageConfig Config, IReadOnlyList<string> LowerDirectories);

/// <summary>
/// The image half of the engine: one store root, its registries and logins. The CLI's image verbs
/// and the engine's run path both go through here.
/// </summary>
public sealed class ImageService : IDisposable
{
    private readonly ImageServiceOptions _options;
    private readonly Dictionary<string, RegistryClient> _clients = [];

    public ImageStores Stores { get; }
    public ImageCatalog Catalog => Stores.Catalog;
    public RegistryConfig Registries => _options.Registries;
    public AuthFile AuthFile { get; }

    public ImageService(ImageServiceOptions options)
    {
        _options = options;
        Stores = new ImageStores(options.Root, options.Registries.DefaultRegistry);
        AuthFile = new AuthFile(options.AuthFilePath ?? AuthFile.DefaultPath);
    }

    public ImageReference ParseReference(string text) => ImageReference.Parse(text, Registries.DefaultRegistry);

    public RegistryClient Client(string registry, Credential? credential = null)
    {
        if (credential is null && _clients.TryGetValue(registry, out RegistryClient? cached)) return cached;
        RegistryClient client = new(registry, new RegistryOptions
        {
            Config = Registries,
            AuthFile = AuthFile,
            Credential = credential,
            TlsVerify = _options.TlsVerify,
            MaxAttempts = _options.MaxAttempts,
            FirstRetryDelay = _options.FirstRetryDelay,
            UploadChunkSize = _options.UploadChunkSize,
        });
        if (credential is null) _clients[registry] = client;
        return client;
    }

    public Task<PullResult> PullAsync(string text, PullOptions? options = null, ITransferProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ImageReference reference = ParseReference(text);
        progress ??= NullProgress.Instance;
        if (reference.Tag is null && reference.Digest is null)
        {
            progress.Message($"Using default tag: {ImageReference.DefaultTag}");
            reference = reference.WithTag(ImageReference.DefaultTag);
        }
        return new ImagePuller(Stores, registry => Client(registry)).PullAsync(reference,
            options ?? new PullOptions { MaxConcurrentDownloads = Registries.MaxConcurrentDownloads }, progress, cancellationToken);
    }

    /// <summary>docker pull --all-tags: every tag of a repository.</summary>
    public async Task<List<PullResult>> PullAllTagsAsync(string text, PullOptions? options = null, ITransferProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ImageReference reference = ParseReference(text);
        if (reference.Tag is not null || reference.Digest is not null)
            throw new ImageException($"tag can't be used with --all-tags/-a");
        List<string> tags = await Client(reference.Registry).ListTagsAsync(reference.Repository, cancellationToken);
        List<PullResult> results = [];
        foreach (string tag in tags)
            results.Add(await PullAsync(reference.WithTag(tag).ToString(), options, progress, cancellationToken));
        return results;
    }

    /// <summary>An image's config and its snapshot directories, for the engine.</summary>
    public ImageRootfs GetRootfs(string reference)
    {
        ImageRecord image = Catalog.Resolve(reference);
        List<string> lowers = [.. image.ChainIds.Select(c => Stores.Snapshots.FsPath(Digest.Parse(c)))];
        lowers.Reverse();
        return new ImageRootfs(image, Stores.ReadConfig(image), lowers);
    }

    /// <summary>Creates a container's writable layer on an image: the overlay to mount as its rootfs.</summary>
    public OverlayMount PrepareContainer(string containerId, string reference)
    {
        using FileLock lease = FileLock.Shared(Stores.Layout.CollectionLock);
        return Stores.ContainerLayers.Prepare(containerId, Catalog.Resolve(reference));
    }

    /// <summary>Removes a container's writable layer (after the engine unmounted it).</summary>
    public void RemoveContainer(string containerId) => Stores.ContainerLayers.Remove(containerId);

    public ImageRecord Tag(string source, string target) => Catalog.Tag(source, target);

    /// <summary>docker rmi: the report lines; unreferenced content is collected unless another skiff is busy.</summary>
    public List<string> Remove(string reference, bool force)
    {
        List<string> report = Catalog.Remove(reference, force, Stores.ContainerUsing);
        if (report.Any(line => line.StartsWith("Deleted:", StringComparison.Ordinal)))
        {
            CollectionResult? collected = new GarbageCollector(Stores).Collect(wait: false);
            foreach (Digest snapshot in collected?.Snapshots ?? []) report.Add($"Deleted: {snapshot}");
        }
        return report;
    }

    /// <summary>docker image prune [-a]: removed images and the space reclaimed.</summary>
    public (List<ImageRecord> Removed, long Reclaimed) Prune(bool all)
    {
        List<ImageRecord> removed = Catalog.Prune(all, Stores.ContainerUsing);
        CollectionResult collected = new GarbageCollector(Stores).Collect(wait: true)!;
        return (removed, collected.ReclaimedBytes);
    }

    /// <summary>Removes every blob and snapshot nothing refers to, waiting for running pulls.</summary>
    public CollectionResult CollectGarbage() => new GarbageCollector(Stores).Collect(wait: true)!;

    public void Dispose()
    {
        foreach (RegistryClient client in _clients.Values) client.Dispose();
        _clients.Clear();
    }
}
