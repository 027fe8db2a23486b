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
internal sealed partial class ContainerLayers(StoreLayout layout, SnapshotStore snapshots)
{
    /// <summary>Creates (or reopens) the writable layer of container <paramref name="id"/> on the
    /// snapshots <paramref name="chain"/> (bottom first) of image <paramref name="imageId"/>.</summary>
    public OverlayMount Prepare(string id, IReadOnlyList<Digest> chain, string imageId)
    {
        CheckId(id);
        string directory = layout.ContainerLayer(id);
        string upper = Path.Combine(directory, "upper"), work = Path.Combine(directory, "work");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(upper, (UnixFileMode)0x1ed);
        Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ContainerLayerInfo info = new() { Id = id, ImageId = imageId, ChainIds = [.. chain.Select(c => c.ToString())] };
        string infoPath = Path.Combine(directory, "layer.json");
        AtomicFile.Write(infoPath, JsonSerializer.SerializeToUtf8Bytes(info, StoreJsonContext.Relaxed.ContainerLayerInfo));
        return Mount(chain, upper, work);
    }

    private OverlayMount Mount(IReadOnlyList<Digest> chain, string upper, string work)
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
        CheckId(id);
        ScopedFs.RemoveTree(layout.ContainerLayer(id));
    }

    public ContainerLayerInfo? Info(string id)
    {
        CheckId(id);
        return Read(layout.ContainerLayer(id));
    }

    /// <summary>The bytes of what the container wrote: regular files in its upper directory, links not followed.</summary>
    public long Usage(string id)
    {
        if (Info(id) is null) throw new ImageNotFoundException($"container layer {id}: not found");
        long size = 0;
        EnumerationOptions walk = new() { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (FileInfo file in new DirectoryInfo(Path.Combine(layout.ContainerLayer(id), "upper")).EnumerateFiles("*", walk))
            if (file.LinkTarget is null) size += file.Length;
        return size;
    }

    public IEnumerable<ContainerLayerInfo> List()
    {
        if (!Directory.Exists(layout.ContainerLayers)) yield break;
        foreach (string directory in Directory.EnumerateDirectories(layout.ContainerLayers))
            if (Read(directory) is { } info) yield return info;
    }

    private static ContainerLayerInfo? Read(string directory)
    {
        try
        {
            using FileStream file = File.OpenRead(Path.Combine(directory, "layer.json"));
            return JsonSerializer.Deserialize(file, StoreJsonContext.Relaxed.ContainerLayerInfo);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static void CheckId(string id)
    {
        if (!IdPattern().IsMatch(id)) throw new ImageException($"container layer \"{id}\": invalid id");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex IdPattern();
}
