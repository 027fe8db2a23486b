using System.Text.Json;
using Skiff.Images.Archive;
using Skiff.Images.Fs;
using Skiff.Images.IO;
using Skiff.Images.Oci;

namespace Skiff.Images.Store;

/// <summary>
/// Unpacked layers, one directory per layer keyed by chain id (containerd's overlay snapshotter is
/// the model): snapshots/CHAIN/fs holds exactly what that layer changed, in overlayfs's whiteout
/// form, so an image's rootfs is its snapshots stacked as overlay lower directories. A layer
/// shared by images is unpacked once.
/// </summary>
internal sealed class SnapshotStore(StoreLayout layout)
{
    public bool Exists(Digest chainId) => File.Exists(Path.Combine(layout.Snapshot(chainId), "info.json"));

    /// <summary>The directory overlayfs stacks for this snapshot.</summary>
    public string FsPath(Digest chainId) => Path.Combine(layout.Snapshot(chainId), "fs");

    public SnapshotInfo? Info(Digest chainId)
    {
        try
        {
            using FileStream file = File.OpenRead(Path.Combine(layout.Snapshot(chainId), "info.json"));
            return JsonSerializer.Deserialize(file, StoreJsonContext.Relaxed.SnapshotInfo);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Makes the snapshot <paramref name="chainId"/> from a layer unless it exists. The layer is
    /// unpacked into CHAIN.tmp, its uncompressed digest checked against <paramref name="diffId"/>,
    /// and the directory renamed into place; a crash leaves only a .tmp that the next attempt
    /// (or collection) removes.
    /// </summary>
    /// <param name="lowerChainIds">The snapshots below this one, nearest first.</param>
    /// <returns>false if the snapshot already existed.</returns>
    /// <param name="waitForLowers">Blocks until the lower snapshots exist, when they are still being
    /// unpacked; called only if the layer implies directories it lacks.</param>
    public bool Ensure(Digest chainId, Digest diffId, IReadOnlyList<Digest> lowerChainIds, Func<Stream> openLayer,
        Action<long>? progress = null, CancellationToken cancellationToken = default, Action? waitForLowers = null)
    {
        if (Exists(chainId)) return false;
        using FileLock snapshotLock = FileLock.Exclusive(layout.SnapshotLock(chainId));
        if (Exists(chainId)) return false;

        string final = layout.Snapshot(chainId);
        string staging = final + ".tmp";
        ScopedFs.RemoveTree(staging);
        ScopedFs.RemoveTree(final);   // a directory without info.json is debris of an older crash
        try
        {
            Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string fs = Path.Combine(staging, "fs");
            Directory.CreateDirectory(fs, (UnixFileMode)0x1ed);
            ExtractResult result;
            using (Stream compressed = openLayer())
            using (ObservedStream counted = new(compressed, progress: progress))
            using (Stream tar = Compression.OpenDecompressed(counted, out _))
            using (ObservedStream hashed = new(tar, diffId.Algorithm))
            using (LayerExtractor extractor = new(fs, [.. lowerChainIds.Select(FsPath)], waitForLowers))
            {
                result = extractor.Extract(hashed, cancellationToken);
                hashed.Drain();
                if (hashed.Digest != diffId)
                    throw new ImageException($"layer {diffId}: uncompressed content is {hashed.Digest} (diff_id mismatch)");
            }
            SnapshotInfo info = new()
            {
                ChainId = chainId.ToString(),
                Parent = lowerChainIds.Count > 0 ? lowerChainIds[0].ToString() : null,
                DiffId = diffId.ToString(),
                Size = result.FileBytes,
                Created = DateTimeOffset.UtcNow,
            };
            File.WriteAllBytes(Path.Combine(staging, "info.json"), JsonSerializer.SerializeToUtf8Bytes(info, StoreJsonContext.Relaxed.SnapshotInfo));
            Directory.Move(staging, final);
            return true;
        }
        catch
        {
            ScopedFs.RemoveTree(staging);
            throw;
        }
    }

    public IEnumerable<Digest> List()
    {
        foreach (string directory in Directory.EnumerateDirectories(layout.Snapshots))
            if (Digest.TryParse("sha256:" + Path.GetFileName(directory), out Digest chainId))
                yield return chainId;
    }

    /// <summary>Removes a snapshot; the caller holds the collection lock.</summary>
    public void Remove(Digest chainId)
    {
        using FileLock snapshotLock = FileLock.Exclusive(layout.SnapshotLock(chainId));
        string final = layout.Snapshot(chainId);
        if (!Directory.Exists(final)) return;
        // Retire it by rename first, so a half-removed tree never looks like a snapshot.
        string doomed = final + ".tmp";
        ScopedFs.RemoveTree(doomed);
        Directory.Move(final, doomed);
        ScopedFs.RemoveTree(doomed);
    }

    /// <summary>What killed processes left: staging directories, and snapshot directories without info.json.</summary>
    public void RemoveDebris()
    {
        foreach (string directory in Directory.EnumerateDirectories(layout.Snapshots, "*.tmp").ToList())
            ScopedFs.RemoveTree(directory);
        foreach (Digest chainId in List().ToList())
            if (!Exists(chainId))
                Remove(chainId);
    }

    /// <summary>Chain ids: chain(L0) = diff(L0), chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln)).</summary>
    public static List<Digest> ChainIds(IEnumerable<Digest> diffIds)
    {
        List<Digest> chain = [];
        foreach (Digest diffId in diffIds)
            chain.Add(chain.Count == 0 ? diffId : Digest.Sha256(System.Text.Encoding.ASCII.GetBytes($"{chain[^1]} {diffId}")));
        return chain;
    }
}
