using Skiff.Images.Oci;

namespace Skiff.Images.Mounts;

/// <summary>
/// containerd's snapshotter, as far as skiff uses one. Committed snapshots are image layers, keyed
/// by chain id ("sha256:..."), immutable once made; active snapshots are containers' writable
/// layers, keyed by container id, each standing on a committed parent (none for an image without
/// layers). The two key spaces never meet: a container id holds no ':'.
/// </summary>
public interface ISnapshotter
{
    /// <summary>The snapshot under <paramref name="key"/>, or null if there is none.</summary>
    Snapshot? Stat(string key);

    /// <summary>
    /// Unpacks a layer as the committed snapshot <paramref name="chainId"/> over
    /// <paramref name="parents"/> (nearest first) unless it exists: containerd's Prepare, apply and
    /// Commit in one step, never visible half made.
    /// </summary>
    /// <param name="waitForParents">Blocks until the parents exist, when they are still being
    /// unpacked; called only if the layer implies directories it lacks.</param>
    /// <returns>false if the snapshot already existed.</returns>
    bool Commit(Digest chainId, Digest diffId, IReadOnlyList<Digest> parents, Func<Stream> openLayer,
        Action<long>? progress = null, CancellationToken cancellationToken = default, Action? waitForParents = null);

    /// <summary>
    /// The active snapshot <paramref name="key"/> on the committed <paramref name="parent"/>,
    /// made if missing and reopened as it is otherwise (a container's layer outlives its runs):
    /// the writable overlay to mount as its rootfs.
    /// </summary>
    /// <param name="imageId">Recorded so an image is known to be in use while the snapshot exists.</param>
    OverlayMount Prepare(string key, string? parent, string imageId);

    /// <summary>Bytes the snapshot holds itself (not its parents): a layer's files, or what a container wrote.</summary>
    long Usage(string key);

    /// <summary>Removes a snapshot and its files; nothing if it does not exist.</summary>
    void Remove(string key);

    /// <summary>Every committed and active snapshot.</summary>
    IEnumerable<Snapshot> Walk();
}

public enum SnapshotKind
{
    Committed,
    Active,
}

/// <param name="Parent">The committed snapshot directly below, or null at the bottom.</param>
/// <param name="ImageId">For an active snapshot, the image it was prepared for.</param>
public sealed record Snapshot(string Key, SnapshotKind Kind, string? Parent, string? ImageId = null);
