using System.Text.Json;
using Skiff.Images.Mounts;
using Skiff.Images.Oci;

namespace Skiff.Images.Store;

/// <summary>The parts of one store root, created together.</summary>
public sealed class ImageStores
{
    public StoreLayout Layout { get; }
    public ContentStore Content { get; }
    public OverlaySnapshotter Snapshotter { get; }
    public MetadataStore Metadata { get; }
    public ImageCatalog Catalog { get; }

    public ImageStores(string root, string defaultRegistry)
    {
        Layout = new StoreLayout(root);
        Layout.EnsureCreated();
        Content = new ContentStore(Layout);
        Snapshotter = new OverlaySnapshotter(Layout);
        Metadata = new MetadataStore(Layout);
        Catalog = new ImageCatalog(Metadata, defaultRegistry);
    }

    public Manifest ReadManifest(ImageRecord image) =>
        JsonSerializer.Deserialize(Content.ReadAll(Digest.Parse(image.ManifestDigest)), ImageJsonContext.Relaxed.Manifest)
        ?? throw new ImageException($"image {image.Id}: empty manifest");

    public ImageConfig ReadConfig(ImageRecord image) =>
        JsonSerializer.Deserialize(Content.ReadAll(Digest.Parse(image.Id)), ImageJsonContext.Relaxed.ImageConfig)
        ?? throw new ImageException($"image {image.Id}: empty config");

    /// <summary>The id of a container standing on the image, or null.</summary>
    public string? ContainerUsing(string imageId) => Snapshotter.Walk().FirstOrDefault(s => s.Kind == SnapshotKind.Active && s.ImageId == imageId)?.Key;
}
