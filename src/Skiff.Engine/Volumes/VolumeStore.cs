using System.Text.RegularExpressions;
using Skiff.Engine.Store;
using Skiff.Images;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Engine.Volumes;

/// <summary>No volume by that name: dockerd's "get NAME: no such volume".</summary>
public sealed class NoSuchVolumeException(string name) : EngineException($"get {name}: no such volume", 1);

/// <summary>
/// Named and anonymous volumes of the local driver: each is <c>ROOT/volumes/NAME/_data</c> plus a
/// row of the engine database's <c>volumes</c> table. A volume with options (<c>-o type=tmpfs</c>,
/// <c>-o type=none,o=bind,device=/path</c>) is mounted on its <c>_data</c> while at least one
/// container runs with it and unmounted after the last one stops.
/// <para>
/// Locks: <c>locks/volumes</c> (exclusive) serializes everything that creates, attaches, detaches
/// or removes volumes, so "in use" cannot change under rm or prune; <c>locks/volume-NAME</c>
/// guards one volume's host mount and its copy-up while a container starts or stops. The order is
/// the container's lock, then <c>volumes</c>, then <c>volume-NAME</c>.
/// </para>
/// </summary>
public sealed partial class VolumeStore(EngineLayout layout, EngineDatabase database)
{
    /// <summary>Docker's local volume names (at least two characters).</summary>
    public const string NameCharacters = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

    public string Directory => Path.Combine(layout.Root, "volumes");

    /// <summary>Where a volume's files are (its Mountpoint).</summary>
    public string DataPath(string name) => Path.Combine(Directory, name, "_data");

    /// <summary>Refuses a name the local driver cannot hold, in dockerd's words.</summary>
    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new EngineException($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"{NameCharacters}\" are allowed. If you intended to pass a host directory, use absolute path");
    }

    /// <summary>
    /// <c>volume create</c>: a new volume, or the existing one of that name as it is (dockerd's
    /// rule). Everything is checked before anything is made. A null name makes a 64-hex one.
    /// </summary>
    public VolumeRecord Create(string? name, string driver, IReadOnlyDictionary<string, string> options, IReadOnlyDictionary<string, string> labels)
    {
        name ??= Naming.NameGenerator.NewId();
        ValidateName(name);
        if (driver != "local") throw new EngineException($"create {name}: error looking up volume plugin {driver}: plugin \"{driver}\" not found");
        VolumeOptions.Validate(name, options);
        using FileLock guard = GlobalLock();
        return Ensure(name, options, labels, anonymous: false);
    }

    public VolumeRecord Get(string name) => database.FindVolume(name) ?? throw new NoSuchVolumeException(name);

    public List<VolumeRecord> List() => database.ListVolumes();

    /// <summary>The names of the volumes some container (in any state) mounts.</summary>
    public HashSet<string> InUse() => database.VolumesInUse();

    /// <summary>The containers that mount a volume.</summary>
    public List<string> Users(string name) => database.VolumeUsers(name);

    public VolumeInspect Inspect(string name) => VolumeInspect.From(Get(name), DataPath(name));

    /// <summary>
    /// <c>volume rm</c>: refused while a container (running or not) mounts the volume, as Docker
    /// refuses it; <paramref name="force"/> only makes an unknown name no error.
    /// </summary>
    public void Remove(string name, bool force)
    {
        using FileLock guard = GlobalLock();
        VolumeRecord? volume = database.FindVolume(name);
        if (volume is null)
        {
            if (force) return;
            throw new NoSuchVolumeException(name);
        }
        List<string> users = database.VolumeUsers(name);
        if (users.Count > 0) throw new EngineException($"remove {name}: volume is in use - [{string.Join(", ", users)}]", 1);
        Delete(volume);
    }

    /// <summary>
    /// <c>volume prune</c>: the volumes no container mounts; only anonymous ones (made for
    /// <c>-v /path</c> or an image VOLUME, or labelled as Docker labels those) unless
    /// <paramref name="all"/>, as Docker 23 and later. Returns the names and the bytes freed.
    /// </summary>
    public (List<string> Removed, long Reclaimed) Prune(bool all, Func<VolumeRecord, bool>? filter = null)
    {
        using FileLock guard = GlobalLock();
        database.DeleteOrphanContainerVolumes();
        HashSet<string> used = database.VolumesInUse();
        List<string> removed = [];
        long reclaimed = 0;
        foreach (VolumeRecord volume in database.ListVolumes())
        {
            if (used.Contains(volume.Name)) continue;
            if (!all && !volume.Anonymous && !volume.Labels.ContainsKey(VolumeRecord.AnonymousLabel)) continue;
            if (filter is not null && !filter(volume)) continue;
            long size = volume.Mounted ? 0 : CopyUp.DiskUsage(DataPath(volume.Name));
            Delete(volume);
            removed.Add(volume.Name);
            reclaimed += size;
        }
        return (removed, reclaimed);
    }

    /// <summary>The volume, made now when it does not exist (the caller holds the global lock).</summary>
    private VolumeRecord Ensure(string name, IReadOnlyDictionary<string, string> options, IReadOnlyDictionary<string, string> labels, bool anonymous)
    {
        if (database.FindVolume(name) is { } existing) return existing;
        VolumeRecord volume = new()
        {
            Name = name,
            CreatedAt = DateTimeOffset.UtcNow,
            Labels = new Dictionary<string, string>(labels, StringComparer.Ordinal),
            Options = new Dictionary<string, string>(options, StringComparer.Ordinal),
            Anonymous = anonymous,
        };
        try
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
            System.IO.Directory.CreateDirectory(Path.Combine(Directory, name), (UnixFileMode)0x1ED);
            System.IO.Directory.CreateDirectory(DataPath(name), (UnixFileMode)0x1ED);
        }
        catch (IOException e)
        {
            throw new EngineException($"create {name}: {e.Message}");
        }
        database.InsertVolume(volume);
        return database.FindVolume(name) ?? volume;
    }

    /// <summary>Removes a volume's files, then its row (the caller holds the global lock and has checked it is unused).</summary>
    private void Delete(VolumeRecord volume)
    {
        string data = DataPath(volume.Name);
        using (FileLock guard = VolumeLock(volume.Name))
        {
            // Nothing may stay mounted on _data: removing the tree would reach into a bound device.
            if (System.IO.Directory.Exists(data)) VolumeOptions.Unmount(data);
            if (MountTable.Read().IsMountPoint(data)) throw new EngineException($"remove {volume.Name}: {data} is still a mount point");
            try
            {
                ScopedFs.RemoveTree(Path.Combine(Directory, volume.Name));
            }
            catch (ImageException e)
            {
                throw new EngineException($"remove {volume.Name}: {e.Message}");
            }
        }
        database.DeleteVolume(volume.Name);
        File.Delete(VolumeLockPath(volume.Name));
    }

    private FileLock GlobalLock() => FileLock.Exclusive(Path.Combine(layout.Locks, "volumes"));

    private string VolumeLockPath(string name) => Path.Combine(layout.Locks, "volume-" + name);

    private FileLock VolumeLock(string name) => FileLock.Exclusive(VolumeLockPath(name));

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex NamePattern();
}
