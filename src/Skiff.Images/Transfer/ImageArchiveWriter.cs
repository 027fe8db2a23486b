using System.Formats.Tar;
using System.Text.Json;
using Skiff.Images.Fs;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Store;

namespace Skiff.Images.Transfer;

/// <summary>
/// docker save: blobs exactly as stored (so digests survive a save and load), an OCI index.json
/// naming each image, and for the docker format a manifest.json that `docker load` reads.
/// </summary>
public sealed class ImageArchiveWriter(ImageStores stores)
{
    private static readonly DateTimeOffset Timestamp = DateTimeOffset.UnixEpoch;

    /// <param name="images">Each image with the name it was asked by (null when asked by id).</param>
    public void Write(IReadOnlyList<(ImageRecord Image, ImageReference? Name)> images, Stream output, ArchiveFormat format)
    {
        using FileLock lease = FileLock.Shared(stores.Layout.CollectionLock);
        using TarWriter tar = new(output, TarEntryFormat.Pax, leaveOpen: true);
        HashSet<string> written = [];
        List<Descriptor> index = [];
        List<DockerArchiveEntry> dockerManifest = [];

        WriteDirectory(tar, "blobs/");
        WriteDirectory(tar, "blobs/sha256/");
        foreach ((ImageRecord image, ImageReference? name) in images)
        {
            Manifest manifest = stores.ReadManifest(image);
            foreach (Descriptor blob in manifest.Layers.Append(manifest.Config))
                WriteBlob(tar, blob.ParsedDigest, written);
            Digest manifestDigest = Digest.Parse(image.ManifestDigest);
            WriteBlob(tar, manifestDigest, written);

            Descriptor entry = new() { MediaType = image.ManifestMediaType, Digest = image.ManifestDigest, Size = image.ManifestSize };
            if (name?.Tag is { } tag)
                entry.Annotations = new() { [Annotations.ContainerdImageName] = name.ToString(), [Annotations.RefName] = tag };
            index.Add(entry);
            dockerManifest.Add(new DockerArchiveEntry
            {
                Config = BlobPath(manifest.Config.ParsedDigest),
                RepoTags = name?.Tag is null ? null : [name.FamiliarString],
                Layers = [.. manifest.Layers.Select(l => BlobPath(l.ParsedDigest))],
            });
        }

        ImageIndex document = new() { MediaType = MediaTypes.OciIndex, Manifests = index };
        WriteFile(tar, "index.json", JsonSerializer.SerializeToUtf8Bytes(document, ImageJsonContext.Relaxed.ImageIndex));
        if (format == ArchiveFormat.DockerArchive)
            WriteFile(tar, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(dockerManifest, ArchiveJsonContext.Relaxed.ListDockerArchiveEntry));
        WriteFile(tar, "oci-layout", JsonSerializer.SerializeToUtf8Bytes(new OciLayoutFile(), ImageJsonContext.Relaxed.OciLayoutFile));
    }

    private static string BlobPath(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Hex}";

    private void WriteBlob(TarWriter tar, Digest digest, HashSet<string> written)
    {
        if (!written.Add(digest.ToString())) return;
        if (digest.Algorithm != "sha256" && written.Add("dir:" + digest.Algorithm)) WriteDirectory(tar, $"blobs/{digest.Algorithm}/");
        using Stream blob = stores.Content.OpenRead(digest);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, BlobPath(digest))
        {
            DataStream = blob, Mode = (UnixFileMode)0x1a4, ModificationTime = Timestamp,
        });
    }

    private static void WriteFile(TarWriter tar, string name, byte[] content) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(content), Mode = (UnixFileMode)0x1a4, ModificationTime = Timestamp,
        });

    private static void WriteDirectory(TarWriter tar, string name) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1ed, ModificationTime = Timestamp });
}
