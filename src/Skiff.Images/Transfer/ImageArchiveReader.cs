using System.Formats.Tar;
using System.Text.Json;
using Skiff.Images.Archive;
using Skiff.Images.Fs;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Store;

namespace Skiff.Images.Transfer;

/// <summary>What load brought in: the image and the names it was given.</summary>
public sealed record LoadedImage(ImageRecord Image, List<string> Names);

/// <summary>
/// docker load: reads a docker-archive (either generation) or an OCI layout tar, plain or
/// compressed, from a stream that may only be read once. Every file is stored as a blob while it
/// streams by (checked against its name when the name is a digest); the index or manifest is
/// interpreted at the end, when all blobs are in.
/// </summary>
public sealed class ImageArchiveReader(ImageStores stores, string defaultRegistry)
{
    private const long MaxMetadataBytes = 16 * 1024 * 1024;

    public List<LoadedImage> Load(Stream input, ITransferProgress progress, CancellationToken cancellationToken)
    {
        using FileLock lease = FileLock.Shared(stores.Layout.CollectionLock);
        Dictionary<string, Digest> files = [];
        Dictionary<string, string> links = [];
        Dictionary<string, byte[]> metadata = [];

        using (Stream tarStream = Compression.OpenDecompressed(input, out _))
        using (TarReader reader = new(tarStream, leaveOpen: true))
        {
            TarEntry? entry;
            while ((entry = Next(reader)) is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string path = TarPath.Clean(entry.Name);
                if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                {
                    string target = entry.EntryType == TarEntryType.SymbolicLink
                        ? TarPath.Clean(Path.Combine(Path.GetDirectoryName(path) ?? "", entry.LinkName))
                        : TarPath.Clean(entry.LinkName);
                    links[path] = target;
                    continue;
                }
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                if (path is "index.json" or "manifest.json" or "oci-layout" or "repositories")
                {
                    if (entry.Length > MaxMetadataBytes) throw new ImageException($"load: {path} is too large");
                    using MemoryStream memory = new();
                    entry.DataStream.CopyTo(memory);
                    metadata[path] = memory.ToArray();
                    continue;
                }
                Digest? expected = BlobDigest(path);
                files[path] = stores.Content.Write(entry.DataStream, expected, entry.Length);
            }
        }

        Digest Resolve(string path)
        {
            string current = TarPath.Clean(path);
            for (int hops = 0; hops < 16 && !files.ContainsKey(current) && links.TryGetValue(current, out string? next); hops++) current = next;
            return files.TryGetValue(current, out Digest digest) ? digest : throw new ImageException($"load: archive refers to {path}, which it does not contain");
        }

        ImageRegistrar registrar = new(stores);
        if (metadata.TryGetValue("index.json", out byte[]? indexBytes))
            return LoadIndex(indexBytes, registrar, progress, cancellationToken);
        if (metadata.TryGetValue("manifest.json", out byte[]? manifestBytes))
            return LoadDockerManifest(manifestBytes, Resolve, registrar, progress, cancellationToken);
        throw new ImageException("load: the archive has neither index.json (OCI) nor manifest.json (docker save)");
    }

    private static TarEntry? Next(TarReader reader)
    {
        try { return reader.GetNextEntry(); }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ImageException($"load: invalid tar archive: {e.Message}", e);
        }
    }

    private static Digest? BlobDigest(string path)
    {
        string[] parts = path.Split('/');
        return parts.Length == 3 && parts[0] == "blobs" && Digest.TryParse($"{parts[1]}:{parts[2]}", out Digest digest) ? digest : null;
    }

    private List<LoadedImage> LoadIndex(byte[] indexBytes, ImageRegistrar registrar, ITransferProgress progress, CancellationToken cancellationToken)
    {
        ImageIndex index = Deserialize(indexBytes, ImageJsonContext.Relaxed.ImageIndex, "index.json");
        List<LoadedImage> loaded = [];
        foreach (Descriptor descriptor in index.Manifests)
        {
            Digest digest = descriptor.ParsedDigest;
            if (!stores.Content.Exists(digest)) throw new ImageException($"load: index.json names {digest}, which the archive does not contain");
            string mediaType = descriptor.MediaType;
            Digest? indexDigest = null;
            if (MediaTypes.IsIndex(mediaType))
            {
                ImageIndex nested = Deserialize(stores.Content.ReadAll(digest), ImageJsonContext.Relaxed.ImageIndex, digest.ToString());
                Descriptor chosen = PlatformMatcher.Select(nested.Manifests.Where(m => stores.Content.Exists(m.ParsedDigest)), PlatformMatcher.Host)
                    ?? throw new ImageException($"load: no manifest for {PlatformMatcher.Host} in index {digest}");
                indexDigest = digest;
                digest = chosen.ParsedDigest;
                mediaType = chosen.MediaType;
            }
            if (!MediaTypes.IsManifest(mediaType)) continue;
            List<string> names = [];
            if (NameOf(descriptor) is { } name) names.Add(name.ToString());
            ImageRecord record = registrar.Register(digest, mediaType, indexDigest, names, [], progress, cancellationToken);
            loaded.Add(new LoadedImage(record, names));
        }
        return loaded;
    }

    /// <summary>containerd's full-name annotation, else the OCI ref name when it is a whole reference.</summary>
    private ImageReference? NameOf(Descriptor descriptor)
    {
        string? text = descriptor.Annotations?.GetValueOrDefault(Annotations.ContainerdImageName);
        if (text is null && descriptor.Annotations?.GetValueOrDefault(Annotations.RefName) is { } refName && (refName.Contains(':') || refName.Contains('/')))
            text = refName;
        if (text is null || !ImageReference.TryParse(text, defaultRegistry, out ImageReference? reference, out _) || reference!.Digest is not null) return null;
        return reference.WithTag(reference.Tag ?? ImageReference.DefaultTag);
    }

    /// <summary>A docker-archive without an OCI index: each entry becomes an OCI manifest made here.</summary>
    private List<LoadedImage> LoadDockerManifest(byte[] manifestBytes, Func<string, Digest> resolve, ImageRegistrar registrar,
        ITransferProgress progress, CancellationToken cancellationToken)
    {
        List<DockerArchiveEntry> entries = Deserialize(manifestBytes, ArchiveJsonContext.Relaxed.ListDockerArchiveEntry, "manifest.json");
        List<LoadedImage> loaded = [];
        foreach (DockerArchiveEntry entry in entries)
        {
            Digest config = resolve(entry.Config);
            Manifest manifest = new()
            {
                MediaType = MediaTypes.OciManifest,
                Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = config.ToString(), Size = stores.Content.SizeOf(config) },
                Layers = [.. entry.Layers.Select(resolve).Select(layer => new Descriptor
                {
                    MediaType = Compression.OciLayerMediaType(Sniff(layer)),
                    Digest = layer.ToString(),
                    Size = stores.Content.SizeOf(layer),
                })],
            };
            Digest manifestDigest = stores.Content.Write(JsonSerializer.SerializeToUtf8Bytes(manifest, ImageJsonContext.Relaxed.Manifest));
            List<string> names = [];
            foreach (string tag in entry.RepoTags ?? [])
            {
                ImageReference reference = ImageReference.Parse(tag, defaultRegistry);
                names.Add(reference.WithTag(reference.Tag ?? ImageReference.DefaultTag).ToString());
            }
            ImageRecord record = registrar.Register(manifestDigest, MediaTypes.OciManifest, null, names, [], progress, cancellationToken);
            loaded.Add(new LoadedImage(record, names));
        }
        return loaded;
    }

    private LayerCompression Sniff(Digest blob)
    {
        using Stream stream = stores.Content.OpenRead(blob);
        byte[] head = new byte[4];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Compression.Detect(head.AsSpan(0, read));
    }

    private static T Deserialize<T>(byte[] content, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(content, type) ?? throw new ImageException($"load: {what} is empty");
        }
        catch (JsonException e)
        {
            throw new ImageException($"load: {what}: {e.Message}", e);
        }
    }
}
