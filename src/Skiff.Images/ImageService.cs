using Skiff.Images.Fs;
using Skiff.Images.Inspect;
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
        List<string> tags = await Client(reference.Registry).Manifests.ListTagsAsync(reference.Repository, cancellationToken);
        List<PullResult> results = [];
        foreach (string tag in tags)
            results.Add(await PullAsync(reference.WithTag(tag).ToString(), options, progress, cancellationToken));
        return results;
    }

    /// <summary>docker push IMAGE [DESTINATION]: the image under its own name, or another one.</summary>
    public Task<PushResult> PushAsync(string image, string? destination = null, ITransferProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ImageReference target = ParseReference(destination ?? image);
        if (target.Digest is not null) throw new ImageException($"push {destination ?? image}: cannot push to a digest reference");
        ImageRecord? record = Catalog.TryResolve(image);
        if (destination is null && record?.RepoTags.Contains(target.WithTag(target.Tag ?? ImageReference.DefaultTag).ToString()) != true)
            throw new ImageNotFoundException($"An image does not exist locally with the tag: {target.FamiliarName}");
        if (record is null) throw new ImageNotFoundException($"No such image: {image}");
        return new ImagePusher(Stores, registry => Client(registry)).PushAsync(record, target, Registries.MaxConcurrentUploads,
            progress ?? NullProgress.Instance, cancellationToken);
    }

    /// <summary>docker save: images (by name or id) into one archive.</summary>
    public void Save(IReadOnlyList<string> images, Stream output, ArchiveFormat format = ArchiveFormat.DockerArchive)
    {
        List<(ImageRecord, ImageReference?)> selected = [];
        foreach (string text in images)
        {
            ImageRecord record = Catalog.Resolve(text);
            ImageReference? name = null;
            if (ImageReference.TryParse(text, Registries.DefaultRegistry, out ImageReference? parsed, out _) && parsed!.Digest is null
                && record.RepoTags.Contains(parsed.WithTag(parsed.Tag ?? ImageReference.DefaultTag).ToString()))
            {
                name = parsed.WithTag(parsed.Tag ?? ImageReference.DefaultTag);
            }
            selected.Add((record, name));
        }
        new ImageArchiveWriter(Stores).Write(selected, output, format);
    }

    /// <summary>docker load: every image in a docker-archive or OCI archive.</summary>
    public List<LoadedImage> Load(Stream input, ITransferProgress? progress = null, CancellationToken cancellationToken = default) =>
        new ImageArchiveReader(Stores, Registries.DefaultRegistry).Load(input, progress ?? NullProgress.Instance, cancellationToken);

    /// <summary>docker import: a rootfs tarball as a one-layer image, named if <paramref name="name"/> is given.</summary>
    public ImageRecord Import(Stream tarball, string? name, ImportOptions options, CancellationToken cancellationToken = default)
    {
        ImageReference? reference = name is null ? null : ParseReference(name);
        if (reference?.Digest is not null) throw new ImageException($"import: {name}: a digest cannot name a new image");
        return new RootfsImporter(Stores).Import(tarball, reference, options, cancellationToken);
    }

    /// <summary>The built-in default image, made from a static busybox binary (reproducibly: same binary, same digest).</summary>
    public ImageRecord ImportBusybox(string binary = BusyboxRootfs.DefaultBinary, string name = "busybox:latest")
    {
        byte[] rootfs = BusyboxRootfs.Build(binary);
        return Import(new MemoryStream(rootfs), name, new ImportOptions
        {
            Changes = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CMD [\"sh\"]"],
            Created = BusyboxRootfs.Timestamp(binary),
            CreatedBy = $"skiff image import-busybox {binary}",
            Message = "busybox from Debian's busybox-static",
            Source = binary,
        });
    }

    /// <summary>docker login: checks the credential against the registry, then stores it.</summary>
    public async Task LoginAsync(string? server, Credential credential, CancellationToken cancellationToken = default)
    {
        string registry = RegistryHost(server);
        using RegistryClient client = Client(registry, credential);
        await client.PingAsync(requireAuth: true, cancellationToken);
        AuthFile.Store(registry, credential);
        ForgetClient(registry);
    }

    /// <returns>false if there was no login to remove.</returns>
    public bool Logout(string? server)
    {
        string registry = RegistryHost(server);
        ForgetClient(registry);
        return AuthFile.Erase(registry);
    }

    /// <summary>Drops a cached client, whose tokens were issued for the old credential.</summary>
    private void ForgetClient(string registry)
    {
        if (_clients.Remove(registry, out RegistryClient? client)) client.Dispose();
    }

    /// <summary>A server argument ("https://host:5000/v2/", "host", nothing) as a registry host.</summary>
    public string RegistryHost(string? server)
    {
        if (string.IsNullOrWhiteSpace(server)) return Registries.DefaultRegistry;
        string host = server.Trim();
        if (host.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) host = host[8..];
        else if (host.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) host = host[7..];
        int slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        host = host.ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" ? ImageReference.DockerHub : host;
    }

    /// <summary>An image's config and its snapshot directories, for the engine.</summary>
    public ImageRootfs GetRootfs(string reference)
    {
        ImageRecord image = Catalog.Resolve(reference);
        List<string> lowers = [.. image.ChainIds.Select(c => Stores.Snapshotter.LayerDirectory(Digest.Parse(c)))];
        lowers.Reverse();
        return new ImageRootfs(image, Stores.ReadConfig(image), lowers);
    }

    /// <summary>Creates a container's writable layer on an image: the overlay to mount as its rootfs.</summary>
    public OverlayMount PrepareContainer(string containerId, string reference)
    {
        using FileLock lease = FileLock.Shared(Stores.Layout.CollectionLock);
        ImageRecord image = Catalog.Resolve(reference);
        return Stores.Snapshotter.Prepare(containerId, image.ChainIds.Count > 0 ? image.ChainIds[^1] : null, image.Id);
    }

    /// <summary>Removes a container's writable layer (after the engine unmounted it).</summary>
    public void RemoveContainer(string containerId) => Stores.Snapshotter.Remove(containerId);

    public ImageRecord Tag(string source, string target) => Catalog.Tag(source, target);

    /// <summary>docker image inspect's document for one image.</summary>
    public ImageInspect Inspect(string reference)
    {
        ImageRootfs rootfs = GetRootfs(reference);
        return ImageInspect.From(rootfs.Image, rootfs.Config, rootfs.LowerDirectories);
    }

    /// <summary>docker history: the config's history, newest first, with each layer's unpacked size.</summary>
    public List<HistoryRow> History(string reference)
    {
        ImageRecord image = Catalog.Resolve(reference);
        ImageConfig config = Stores.ReadConfig(image);
        List<HistoryEntry> entries = config.History is { Count: > 0 } history
            ? history
            : [.. image.ChainIds.Select(_ => new HistoryEntry { Created = config.Created })];
        List<HistoryRow> rows = [];
        int layer = 0;
        foreach (HistoryEntry entry in entries)
        {
            long size = 0;
            if (entry.EmptyLayer != true && layer < image.ChainIds.Count)
                size = Stores.Snapshotter.Usage(image.ChainIds[layer++]);
            rows.Add(new HistoryRow("<missing>", entry.Created, entry.CreatedBy ?? "", size, entry.Comment ?? "", []));
        }
        rows.Reverse();
        if (rows.Count > 0) rows[0] = rows[0] with { Id = image.Id, Tags = [.. image.RepoTags.Select(ImageCatalog.Familiar)] };
        return rows;
    }

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
