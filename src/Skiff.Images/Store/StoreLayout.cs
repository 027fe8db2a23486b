using Skiff.Images.Oci;

namespace Skiff.Images.Store;

/// <summary>
/// Where everything lives under the store root (default /var/lib/skiff):
///   blobs/sha256/HEX         content, by digest; only ever renamed in after verification
///   ingest/ALG-HEX           a download in progress (resumed by the next pull of that blob)
///   images.json              image records and names, replaced atomically under "lock"
///   snapshots/CHAINHEX/fs    one unpacked layer; the directory appears by rename when complete
///   rw/ID/{upper,work}       a container's writable layer over its image's snapshots
///   locks/                   per-blob and per-snapshot flock files
///   lock                     metadata lock (shared to read, exclusive to write)
///   gc.lock                  shared by whatever is adding content, exclusive for collection
/// </summary>
public sealed class StoreLayout
{
    public const string DefaultRoot = "/var/lib/skiff";

    public string Root { get; }

    public StoreLayout(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Blobs => Path.Combine(Root, "blobs");
    public string Ingest => Path.Combine(Root, "ingest");
    public string Snapshots => Path.Combine(Root, "snapshots");
    public string ContainerLayers => Path.Combine(Root, "rw");
    public string Locks => Path.Combine(Root, "locks");
    public string ImagesFile => Path.Combine(Root, "images.json");
    public string MetadataLock => Path.Combine(Root, "lock");
    public string CollectionLock => Path.Combine(Root, "gc.lock");

    public string Blob(Digest digest) => Path.Combine(Blobs, digest.Algorithm, digest.Hex);
    public string IngestFile(Digest digest) => Path.Combine(Ingest, $"{digest.Algorithm}-{digest.Hex}");
    public string BlobLock(Digest digest) => Path.Combine(Locks, $"blob-{digest.Algorithm}-{digest.Hex}");
    public string Snapshot(Digest chainId) => Path.Combine(Snapshots, chainId.Hex);
    public string SnapshotLock(Digest chainId) => Path.Combine(Locks, $"snapshot-{chainId.Hex}");
    public string ContainerLayer(string id) => Path.Combine(ContainerLayers, id);

    /// <summary>Creates the directory tree; the store is root's only (0700), like /var/lib/docker.</summary>
    public void EnsureCreated()
    {
        foreach (string directory in (string[])[Root, Path.Combine(Blobs, "sha256"), Path.Combine(Blobs, "sha512"), Ingest, Snapshots, ContainerLayers, Locks])
        {
            if (Directory.Exists(directory)) continue;
            try
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ImageException($"store {Root}: {e.Message}", e);
            }
        }
    }
}
