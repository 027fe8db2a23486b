using Skiff.Images.Oci;
using Skiff.Images.Store;

namespace Skiff.Images.Mounts;

/// <summary>
/// The snapshotter over overlayfs: committed snapshots are unpacked layers (snapshots/CHAIN/fs,
/// <see cref="SnapshotStore"/>), active ones containers' upper and work directories
/// (rw/ID, <see cref="ContainerLayers"/>); both are mounted as overlays of their parents' directories.
/// </summary>
public sealed class OverlaySnapshotter : ISnapshotter
{
    private readonly SnapshotStore _layers;
    private readonly ContainerLayers _containers;

    public OverlaySnapshotter(StoreLayout layout)
    {
        _layers = new SnapshotStore(layout);
        _containers = new ContainerLayers(layout, _layers);
    }

    public Snapshot? Stat(string key)
    {
        if (Digest.TryParse(key, out Digest chainId))
            return _layers.Info(chainId) is { } layer ? new Snapshot(key, SnapshotKind.Committed, layer.Parent) : null;
        return _containers.Info(key) is { } container ? Active(container) : null;
    }

    public bool Commit(Digest chainId, Digest diffId, IReadOnlyList<Digest> parents, Func<Stream> openLayer,
        Action<long>? progress = null, CancellationToken cancellationToken = default, Action? waitForParents = null) =>
        _layers.Ensure(chainId, diffId, parents, openLayer, progress, cancellationToken, waitForParents);

    public OverlayMount Prepare(string key, string? parent, string imageId) =>
        _containers.Prepare(key, ChainBelow(parent, $"image {imageId}"), imageId);

    /// <summary>The directory overlayfs stacks for a committed snapshot (whether or not it exists).</summary>
    public string LayerDirectory(Digest chainId) => _layers.FsPath(chainId);

    public long Usage(string key)
    {
        if (Digest.TryParse(key, out Digest chainId))
            return (_layers.Info(chainId) ?? throw new ImageNotFoundException($"snapshot {key}: not found")).Size;
        return _containers.Usage(key);
    }

    public void Remove(string key)
    {
        if (Digest.TryParse(key, out Digest chainId)) _layers.Remove(chainId);
        else _containers.Remove(key);
    }

    public IEnumerable<Snapshot> Walk()
    {
        foreach (Digest chainId in _layers.List())
            if (_layers.Info(chainId) is { } layer)
                yield return new Snapshot(chainId.ToString(), SnapshotKind.Committed, layer.Parent);
        foreach (ContainerLayerInfo container in _containers.List())
            yield return Active(container);
    }

    /// <summary>Unpacks that never completed: left by a killed process, removed by collection.</summary>
    public void RemoveDebris() => _layers.RemoveDebris();

    private static Snapshot Active(ContainerLayerInfo container) =>
        new(container.Id, SnapshotKind.Active, container.ChainIds.Count > 0 ? container.ChainIds[^1] : null, container.ImageId);

    /// <summary>The committed chain from the bottom up to <paramref name="parent"/>, each one checked to exist.</summary>
    private List<Digest> ChainBelow(string? parent, string what)
    {
        List<Digest> chain = [];
        for (string? key = parent; key is not null;)
        {
            if (!Digest.TryParse(key, out Digest chainId) || chain.Contains(chainId))
                throw new ImageException($"{what}: \"{key}\" is not a committed snapshot");
            SnapshotInfo layer = _layers.Info(chainId)
                ?? throw new ImageException($"{what}: snapshot {chainId} is missing (pull the image again)");
            chain.Add(chainId);
            key = layer.Parent;
        }
        chain.Reverse();
        return chain;
    }
}
