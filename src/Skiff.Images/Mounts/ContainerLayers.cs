using System.Text.Json;
using System.Text.RegularExpressions;
using Skiff.Images.Fs;
using Skiff.Images.Oci;
using Skiff.Images.Store;

namespace Skiff.Images.Mounts;

/// <summary>
/// Containers' writable layers: rw/ID/upper and rw/ID/work over the image's snapshots. A layer
/// records its image's chain ids so collection never removes a snapshot a container stands on.
/// </summary>
public sealed partial class ContainerLayers(StoreLayout layout, SnapshotStore snapshots)
{
    /// <summary>Creates (or reopens) the writable layer of container <paramref name="id"/> on <paramref name="image"/>.</summary>
    public OverlayMount Prepare(string id, ImageRecord image)
    {
        if (!IdPattern().IsMatch(id)) throw new ImageException($"container layer \"{id}\": invalid id");
        List<Digest> chain = [.. image.ChainIds.Select(Digest.Parse)];
        foreach (Digest chainId in chain)
            if (!snapshots.Exists(chainId))
                throw new ImageException($"image {image.Id}: snapshot {chainId} is missing (pull the image again)");
        string directory = layout.ContainerLayer(id);
        string upper = Path.Combine(directory, "upper"), work = Path.Combine(directory, "work");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(upper, (UnixFileMode)0x1ed);
        Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ContainerLayerInfo info = new() { Id = id, ImageId = image.Id, ChainIds = image.ChainIds };
        string infoPath = Path.Combine(directory, "layer.json");
        File.WriteAllBytes(infoPath + ".tmp", JsonSerializer.SerializeToUtf8Bytes(info, StoreJsonContext.Relaxed.ContainerLayerInfo));
        File.Move(infoPath + ".tmp", infoPath, overwrite: true);
        return Mount(chain, upper, work);
    }

    /// <summary>The read-only overlay of an image (no container layer), for inspection or export.</summary>
    public OverlayMount ReadOnly(ImageRecord image) => Mount([.. image.ChainIds.Select(Digest.Parse)], null, null);

    private OverlayMount Mount(List<Digest> chain, string? upper, string? work)
    {
        List<string> lowers = [.. chain.Select(snapshots.FsPath)];
        lowers.Reverse();   // overlayfs lists the top layer first
        if (lowers.Count == 0)
        {
            // An image with no layers (scratch): overlayfs still needs one lower directory.
            string empty = Path.Combine(layout.Snapshots, "empty");
            Directory.CreateDirectory(empty, (UnixFileMode)0x1ed);
            lowers.Add(empty);
        }
        return new OverlayMount(lowers, upper, work);
    }

    public void Remove(string id)
    {
        if (!IdPattern().IsMatch(id)) throw new ImageException($"container layer \"{id}\": invalid id");
        ScopedFs.RemoveTree(layout.ContainerLayer(id));
    }

    public IEnumerable<ContainerLayerInfo> List()
    {
        if (!Directory.Exists(layout.ContainerLayers)) yield break;
        foreach (string directory in Directory.EnumerateDirectories(layout.ContainerLayers))
        {
            ContainerLayerInfo? info = null;
            try
            {
                using FileStream file = File.OpenRead(Path.Combine(directory, "layer.json"));
                info = JsonSerializer.Deserialize(file, StoreJsonContext.Relaxed.ContainerLayerInfo);
            }
            catch (FileNotFoundException) { }
            if (info is not null) yield return info;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex IdPattern();
}
