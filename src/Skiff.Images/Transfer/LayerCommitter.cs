using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Skiff.Images.Archive;
using Skiff.Images.Fs;
using Skiff.Images.IO;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Store;

namespace Skiff.Images.Transfer;

public sealed class CommitOptions
{
    /// <summary>The container's config (command, environment...), before <see cref="Changes"/>.</summary>
    public required ContainerConfig Config { get; init; }
    public IReadOnlyList<string> Changes { get; init; } = [];
    public string? Message { get; init; }
    public string? Author { get; init; }
    /// <summary>What of the upper directory is not the container's change (by layer path and lstat).</summary>
    public Func<string, Skiff.Linux.Interop.StatBuffer, bool>? Exclude { get; init; }
}

/// <summary>
/// docker commit: a new image made of a parent image and one more layer, an overlayfs upper
/// directory archived as an OCI layer (its whiteouts in .wh. form), gzip-compressed into the store.
/// </summary>
public sealed class LayerCommitter(ImageStores stores)
{
    public ImageRecord Commit(ImageRecord parent, string upperDirectory, ImageReference? name, CommitOptions options, CancellationToken cancellationToken)
    {
        using FileLock lease = FileLock.Shared(stores.Layout.CollectionLock);
        ImageConfig parentConfig = stores.ReadConfig(parent);
        Manifest parentManifest = JsonSerializer.Deserialize(stores.Content.ReadAll(Digest.Parse(parent.ManifestDigest)), ImageJsonContext.Relaxed.Manifest)
            ?? throw new ImageException($"image {parent.Id}: empty manifest");

        string temporary = stores.Content.NewTemporaryPath();
        Digest blob, diffId;
        long blobSize;
        try
        {
            using (FileStream file = new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                using HashingWriteStream compressed = new(file);
                using (GZipStream gzip = new(compressed, CompressionLevel.Fastest, leaveOpen: true))
                using (HashingWriteStream uncompressed = new(gzip))
                {
                    using (TarWriter tar = new(uncompressed, TarEntryFormat.Pax, leaveOpen: true))
                    using (UnixFd upper = ScopedFs.OpenDirectory(upperDirectory))
                    {
                        new TreeArchiver(tar, TreeMode.Layer, options.Exclude).AddContents(upper.Value, "");
                    }
                    // A writer that wrote no entry writes nothing, not even the end of the archive:
                    // an unchanged container's layer is the empty tar (two zero blocks), as Docker's is.
                    if (uncompressed.BytesWritten == 0) uncompressed.Write(new byte[1024]);
                    cancellationToken.ThrowIfCancellationRequested();
                    diffId = uncompressed.Digest;
                }
                file.Flush(flushToDisk: true);
                blob = compressed.Digest;
                blobSize = compressed.BytesWritten;
            }
            stores.Content.Adopt(temporary, blob);
        }
        finally
        {
            File.Delete(temporary);
        }

        DateTimeOffset created = DateTimeOffset.UtcNow;
        ContainerConfig config = options.Config;
        foreach (string change in options.Changes) ConfigChanges.Apply(config, change);
        ImageConfig image = new()
        {
            Created = created,
            Author = options.Author,
            Architecture = parentConfig.Architecture,
            Os = parentConfig.Os,
            OsVersion = parentConfig.OsVersion,
            OsFeatures = parentConfig.OsFeatures,
            Variant = parentConfig.Variant,
            Config = config,
            RootFs = new RootFs { DiffIds = [.. parentConfig.RootFs.DiffIds, diffId.ToString()] },
            History =
            [
                .. parentConfig.History ?? [],
                new HistoryEntry
                {
                    Created = created,
                    Author = options.Author,
                    CreatedBy = options.Changes.Count > 0 ? string.Join(", ", options.Changes) : "skiff commit",
                    Comment = options.Message,
                },
            ],
        };
        byte[] configBytes = JsonSerializer.SerializeToUtf8Bytes(image, ImageJsonContext.Relaxed.ImageConfig);
        Digest configDigest = stores.Content.Write(configBytes);
        Manifest manifest = new()
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = configBytes.Length },
            Layers = [.. parentManifest.Layers.Select(AsOci), new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = blob.ToString(), Size = blobSize }],
        };
        Digest manifestDigest = stores.Content.Write(JsonSerializer.SerializeToUtf8Bytes(manifest, ImageJsonContext.Relaxed.Manifest));
        List<string> tags = name is null ? [] : [name.WithTag(name.Tag ?? ImageReference.DefaultTag).ToString()];
        return new ImageRegistrar(stores).Register(manifestDigest, MediaTypes.OciManifest, null, tags, [], NullProgress.Instance, cancellationToken);
    }

    /// <summary>A parent's Docker layer descriptor in the OCI manifest the new image gets (same bytes, OCI's name for them).</summary>
    private static Descriptor AsOci(Descriptor layer) => new()
    {
        MediaType = layer.MediaType switch
        {
            MediaTypes.DockerLayerGzip => MediaTypes.OciLayerGzip,
            MediaTypes.DockerForeignLayerGzip => MediaTypes.OciForeignLayerGzip,
            _ => layer.MediaType,
        },
        Digest = layer.Digest,
        Size = layer.Size,
        Urls = layer.Urls,
        Annotations = layer.Annotations,
    };
}
