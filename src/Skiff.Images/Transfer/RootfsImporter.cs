using System.IO.Compression;
using System.Text.Json;
using Skiff.Images.Archive;
using Skiff.Images.Fs;
using Skiff.Images.IO;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Store;

namespace Skiff.Images.Transfer;

public sealed class ImportOptions
{
    public IReadOnlyList<string> Changes { get; init; } = [];
    public string? Message { get; init; }
    public Platform? Platform { get; init; }
    /// <summary>Where the tarball came from, for the history comment ("-" for stdin).</summary>
    public string Source { get; init; } = "-";
    /// <summary>The image's creation time (fixed for reproducible images, now by default).</summary>
    public DateTimeOffset? Created { get; init; }
    public string? CreatedBy { get; init; }
}

/// <summary>
/// docker import: a root filesystem tarball (plain or compressed) becomes a one-layer image. The
/// layer is gzip-compressed into the store in one pass while both digests (compressed blob and
/// uncompressed diff_id) are computed.
/// </summary>
public sealed class RootfsImporter(ImageStores stores)
{
    public ImageRecord Import(Stream source, ImageReference? name, ImportOptions options, CancellationToken cancellationToken)
    {
        using FileLock lease = FileLock.Shared(stores.Layout.CollectionLock);
        string temporary = stores.Content.NewTemporaryPath();
        Digest blob, diffId;
        long blobSize;
        try
        {
            using (FileStream file = new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            using (HashingWriteStream compressed = new(file))
            {
                using (Stream tar = Compression.OpenDecompressed(source, out _))
                using (ObservedStream uncompressed = new(tar, "sha256"))
                {
                    using (GZipStream gzip = new(compressed, CompressionLevel.Fastest, leaveOpen: true))
                    {
                        byte[] buffer = new byte[256 * 1024];
                        int read;
                        while ((read = uncompressed.Read(buffer)) > 0)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            gzip.Write(buffer, 0, read);
                        }
                    }
                    if (uncompressed.BytesRead == 0) throw new ImageException($"import {options.Source}: the tarball is empty");
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

        DateTimeOffset created = options.Created ?? DateTimeOffset.UtcNow;
        Platform platform = options.Platform ?? PlatformMatcher.Host;
        ContainerConfig containerConfig = new();
        foreach (string change in options.Changes) ConfigChanges.Apply(containerConfig, change);
        ImageConfig config = new()
        {
            Created = created,
            Architecture = platform.Architecture,
            Os = platform.Os,
            Variant = platform.Variant,
            Config = containerConfig,
            RootFs = new RootFs { DiffIds = [diffId.ToString()] },
            History = [new HistoryEntry { Created = created, CreatedBy = options.CreatedBy, Comment = options.Message ?? $"Imported from {options.Source}" }],
        };
        byte[] configBytes = JsonSerializer.SerializeToUtf8Bytes(config, ImageJsonContext.Relaxed.ImageConfig);
        Digest configDigest = stores.Content.Write(configBytes);
        Manifest manifest = new()
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = configBytes.Length },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = blob.ToString(), Size = blobSize }],
        };
        Digest manifestDigest = stores.Content.Write(JsonSerializer.SerializeToUtf8Bytes(manifest, ImageJsonContext.Relaxed.Manifest));
        List<string> tags = name is null ? [] : [name.WithTag(name.Tag ?? ImageReference.DefaultTag).ToString()];
        return new ImageRegistrar(stores).Register(manifestDigest, MediaTypes.OciManifest, null, tags, [], NullProgress.Instance, cancellationToken);
    }
}
