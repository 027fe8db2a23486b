using Skiff.Engine.Containers;
using Skiff.Engine.Files;
using Skiff.Images;
using Skiff.Images.Fs;
using Skiff.Images.Mounts;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Store;
using Skiff.Images.Transfer;

namespace Skiff.Engine;

/// <summary>cp, export, diff and commit: the container's filesystem seen from the host.</summary>
public sealed partial class ContainerEngine
{
    /// <summary>
    /// Runs <paramref name="action"/> with a directory fd of the container's merged rootfs, under
    /// the container's lock (so cleanup cannot unmount it meanwhile). A running container's mount
    /// is the host-side overlay, without what the runtime mounted in the container's namespace; a
    /// container that is not running gets its overlay mounted at its mount point for the duration,
    /// read-only unless <paramref name="writable"/>.
    /// </summary>
    private void WithRootfs(string reference, bool writable, Action<UnixFd> action)
    {
        ContainerRecord record = Database.Resolve(reference);
        using ContainerLock guard = LockOf(record.Id);
        record = Refresh(Database.Find(record.Id) ?? throw new NoSuchContainerException(reference));
        string rootfs = Layout.Rootfs(record.Id);
        bool running = record.State.Status is ContainerStatus.Running or ContainerStatus.Paused && record.State.Mounted;
        if (running)
        {
            using UnixFd root = ScopedFs.OpenDirectory(rootfs);
            action(root);
            return;
        }
        OverlayMount overlay = Images.PrepareContainer(record.Id, record.ImageId);
        // The read-only view stacks the upper directory as the top lower: its whiteouts still hide.
        OverlayMount view = writable ? overlay : new OverlayMount([overlay.UpperDirectory!, .. overlay.LowerDirectories]);
        Directory.CreateDirectory(rootfs);
        OverlayMount.Unmount(rootfs);
        view.Mount(rootfs);
        try
        {
            using UnixFd root = ScopedFs.OpenDirectory(rootfs);
            action(root);
        }
        finally
        {
            OverlayMount.Unmount(rootfs);
        }
    }

    /// <summary>
    /// docker cp CONTAINER:SRC DEST, or to <paramref name="output"/> as a tar stream when DEST is "-";
    /// returns the size of the archive copied to DEST (0 for a stream).
    /// </summary>
    public long CopyFromContainer(string reference, string source, string destination, Stream? output, bool follow, bool archive)
    {
        long copied = 0;
        WithRootfs(reference, writable: false, root =>
        {
            using CopySource from = ContainerCopy.OpenInContainer(root, source, follow, reference);
            if (output is not null)
            {
                from.WriteTar(output, from.Contents ? null : from.Name);
                return;
            }
            (UnixFd directory, string? name) = ContainerCopy.DestinationOnHost(destination, from);
            using (directory)
            {
                copied = ContainerCopy.Copy(from, directory, name, archive ? null : ((int)Skiff.Linux.Interop.Libc.GetEUid(), (int)Skiff.Linux.Interop.Libc.GetEGid()));
            }
        });
        return copied;
    }

    /// <summary>docker cp SRC CONTAINER:DEST, or a tar stream from <paramref name="input"/> when SRC is "-"; returns the size of the archive copied from SRC (0 for a stream).</summary>
    public long CopyToContainer(string reference, string source, Stream? input, string destination, bool follow, bool archive)
    {
        long copied = 0;
        // Without -a, what is copied in belongs to the container's root, as Docker does it.
        (int, int)? owner = archive ? null : (0, 0);
        using CopySource? from = input is null ? ContainerCopy.OpenOnHost(source, follow) : null;
        WithRootfs(reference, writable: true, root =>
        {
            if (from is null)
            {
                using UnixFd directory = ContainerCopy.DirectoryInContainer(root, destination, reference);
                ContainerCopy.Extract(input!, directory, owner);
                return;
            }
            (UnixFd target, string? name) = ContainerCopy.DestinationInContainer(root, destination, from, reference);
            using (target)
            {
                copied = ContainerCopy.Copy(from, target, name, owner);
            }
        });
        return copied;
    }

    /// <summary>docker export: the container's merged filesystem as a tar stream.</summary>
    public void Export(string reference, Stream output) =>
        WithRootfs(reference, writable: false, root =>
        {
            using System.Formats.Tar.TarWriter tar = new(output, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true);
            new Skiff.Images.Archive.TreeArchiver(tar).AddContents(root.Value, "");
        });

    /// <summary>docker diff: what the container changed, from its writable layer.</summary>
    public List<FileChange> Diff(string reference)
    {
        ContainerRecord record = Resolve(reference);
        OverlayMount overlay = Images.PrepareContainer(record.Id, record.ImageId);
        return LayerDiff.Changes(overlay.UpperDirectory!, overlay.LowerDirectories, EngineMade(overlay));
    }

    /// <summary>
    /// docker commit: a new image of the container's image plus its writable layer, its config the
    /// container's changed by <paramref name="options"/>' changes. A running container is frozen
    /// meanwhile if <paramref name="pause"/>, so the layer is one moment of it.
    /// </summary>
    public ImageRecord Commit(string reference, string? name, CommitRequest options, bool pause)
    {
        ContainerRecord record = Resolve(reference);
        ImageReference? target = null;
        if (name is not null)
        {
            target = Images.ParseReference(name);
            if (target.Digest is not null) throw new EngineException($"invalid reference format: {name}: a digest cannot name a new image");
        }
        bool froze = pause && record.State.Status == ContainerStatus.Running;
        if (froze) Pause(record.Id);
        try
        {
            ImageRootfs image = Images.GetRootfs(record.ImageId);
            OverlayMount overlay = Images.PrepareContainer(record.Id, record.ImageId);
            CommitOptions commit = new()
            {
                Config = ContainerConfigOf(record, image.Config.Config),
                Changes = options.Changes,
                Message = options.Message,
                Author = options.Author,
                Exclude = EngineMade(overlay),
            };
            return new LayerCommitter(Images.Stores).Commit(image.Image, overlay.UpperDirectory!, target, commit, CancellationToken.None);
        }
        finally
        {
            if (froze) Unpause(record.Id);
        }
    }

    /// <summary>
    /// The empty files the runtime creates in the writable layer to bind the engine's /etc files
    /// over: the engine's doing, not the container's, so neither diff nor commit shows them.
    /// </summary>
    private static bool IsMountPlaceholder(string path, Skiff.Linux.Interop.StatBuffer stat) =>
        path is "etc/hosts" or "etc/hostname" or "etc/resolv.conf" && stat.IsRegular && stat.Size == 0;

    /// <summary>
    /// What of the writable layer is the engine's doing: the placeholders, and /etc itself when
    /// making them is all that brought it into the layer (copied up from the image with its owner
    /// and mode, or made for them where the image has none). Docker keeps these in a layer of its
    /// own below the container's, so its diff and commit show neither.
    /// </summary>
    private static Func<string, Skiff.Linux.Interop.StatBuffer, bool> EngineMade(OverlayMount overlay) =>
        (path, stat) => IsMountPlaceholder(path, stat) || (path == "etc" && stat.IsDirectory && HoldsOnlyPlaceholders(overlay, stat));

    private static bool HoldsOnlyPlaceholders(OverlayMount overlay, Skiff.Linux.Interop.StatBuffer etc)
    {
        using (UnixFd upper = ScopedFs.OpenDirectory(overlay.UpperDirectory!))
        {
            if (LayerDiff.IsOpaque(upper, "etc")) return false;
            int fd = Skiff.Linux.Interop.Libc.OpenAt(upper.Value, "etc", Skiff.Linux.FileFlags.O_RDONLY | Skiff.Linux.FileFlags.O_DIRECTORY | Skiff.Linux.FileFlags.O_NOFOLLOW | Skiff.Linux.FileFlags.O_CLOEXEC, 0);
            if (fd < 0) return false;
            using UnixFd directory = new(fd);
            foreach (string name in ScopedFs.ListNames(directory))
                if (!ScopedFs.TryStat(directory.Value, name, out Skiff.Linux.Interop.StatBuffer entry) || !IsMountPlaceholder("etc/" + name, entry)) return false;
        }
        foreach (string lower in overlay.LowerDirectories)
        {
            using UnixFd layer = ScopedFs.OpenDirectory(lower);
            // The topmost layer that has the name decides (a whiteout there is not a directory).
            if (ScopedFs.TryStat(layer.Value, "etc", out Skiff.Linux.Interop.StatBuffer image))
                return image.IsDirectory && image.Mode == etc.Mode && image.Uid == etc.Uid && image.Gid == etc.Gid;
        }
        return true;
    }

    /// <summary>The image config's container part as this container runs it: its request overrides the image's.</summary>
    private static ContainerConfig ContainerConfigOf(ContainerRecord record, ContainerConfig? image)
    {
        ContainerRequest request = record.Request;
        ContainerConfig config = new()
        {
            User = request.User ?? image?.User,
            ExposedPorts = image?.ExposedPorts,
            Env = [.. image?.Env ?? []],
            Entrypoint = request.Entrypoint ?? image?.Entrypoint,
            Cmd = request.Cmd ?? image?.Cmd,
            Volumes = image?.Volumes,
            WorkingDir = request.WorkingDir ?? image?.WorkingDir,
            Labels = new Dictionary<string, string>(image?.Labels ?? []),
            StopSignal = request.StopSignal ?? image?.StopSignal,
            OnBuild = image?.OnBuild,
            Shell = image?.Shell,
            Healthcheck = image?.Healthcheck,
        };
        foreach (string variable in request.Env)
        {
            string key = variable.Split('=', 2)[0];
            config.Env.RemoveAll(e => e.Split('=', 2)[0] == key);
            config.Env.Add(variable);
        }
        foreach ((string key, string value) in request.Labels) config.Labels[key] = value;
        if (config.Labels.Count == 0) config.Labels = null;
        return config;
    }
}

/// <summary>docker commit's -c, -m and -a.</summary>
public sealed class CommitRequest
{
    public IReadOnlyList<string> Changes { get; init; } = [];
    public string? Message { get; init; }
    public string? Author { get; init; }
}
