using Skiff.Engine.Containers;
using Skiff.Images.Fs;
using Skiff.Images.Oci;
using Skiff.Linux;

namespace Skiff.Engine.Volumes;

/// <summary>A volume a new container will mount: named, or anonymous with the name made for it.</summary>
public sealed record PlannedVolume(
    string Name,
    bool Anonymous,
    string Destination,
    bool ReadOnly,
    bool CopyUp,
    List<string> Options,
    Dictionary<string, string> DriverOptions,
    Dictionary<string, string> Labels);

/// <summary>
/// A container's volumes through its life: <see cref="Plan"/> (create, before anything exists:
/// every check), <see cref="Attach"/> (create: the volumes made on first use and the
/// container_volumes rows), <see cref="Prepare"/> (each start, rootfs mounted: host mounts and
/// copy-up), <see cref="Release"/> (each stop: host mounts no other container holds),
/// <see cref="Detach"/> (rm: the rows, and with -v the container's anonymous volumes).
/// </summary>
public sealed partial class VolumeStore
{
    /// <summary>
    /// The volumes a container asks for: its <c>type=volume</c> mounts (a name, or none for an
    /// anonymous volume) and the image's VOLUMEs that no mount of the request covers. Checks
    /// names, options and destinations; makes nothing.
    /// </summary>
    public List<PlannedVolume> Plan(ContainerRequest request, ContainerConfig? image)
    {
        HashSet<string> destinations = new(StringComparer.Ordinal);
        foreach (MountRequest mount in request.Mounts)
        {
            string destination = CleanPath(mount.Target);
            if (!destinations.Add(destination)) throw new EngineException($"Duplicate mount point: {destination}");
        }

        List<PlannedVolume> plan = [];
        foreach (MountRequest mount in request.Mounts.Where(m => m.Type == "volume"))
        {
            string destination = CleanPath(mount.Target);
            if (destination == "/") throw new EngineException("invalid mount config for type \"volume\": invalid specification: destination can't be '/'");
            bool copy = true;
            List<string> options = [];
            List<string> driverOptions = [], labels = [];
            foreach (string option in mount.Options)
            {
                if (option is "nocopy" or "volume-nocopy") copy = false;
                else if (option.StartsWith("volume-opt=", StringComparison.Ordinal)) driverOptions.Add(option["volume-opt=".Length..]);
                else if (option.StartsWith("volume-label=", StringComparison.Ordinal)) labels.Add(option["volume-label=".Length..]);
                else if (option.StartsWith("volume-driver=", StringComparison.Ordinal))
                {
                    string driver = option["volume-driver=".Length..];
                    if (driver is not ("" or "local")) throw new EngineException($"create {mount.Source}: error looking up volume plugin {driver}: plugin \"{driver}\" not found");
                }
                else options.Add(option);
            }
            bool anonymous = string.IsNullOrEmpty(mount.Source);
            string name = anonymous ? Naming.NameGenerator.NewId() : mount.Source!;
            ValidateName(name);
            Dictionary<string, string> driverMap = VolumeOptions.FromPairs(driverOptions, "--mount volume-opt");
            VolumeOptions.Validate(name, driverMap);
            Dictionary<string, string> labelMap = new(StringComparer.Ordinal);
            foreach (string label in labels)
            {
                int equals = label.IndexOf('=');
                labelMap[equals < 0 ? label : label[..equals]] = equals < 0 ? "" : label[(equals + 1)..];
            }
            if (anonymous) labelMap[VolumeRecord.AnonymousLabel] = "";
            plan.Add(new PlannedVolume(name, anonymous, destination, mount.ReadOnly, copy, options, driverMap, labelMap));
        }
        foreach (string path in image?.Volumes?.Keys ?? (IEnumerable<string>)[])
        {
            if (!path.StartsWith('/')) continue;
            string destination = CleanPath(path);
            if (destination == "/" || !destinations.Add(destination)) continue;
            plan.Add(new PlannedVolume(Naming.NameGenerator.NewId(), true, destination, false, true, [], [],
                new Dictionary<string, string>(StringComparer.Ordinal) { [VolumeRecord.AnonymousLabel] = "" }));
        }
        return plan;
    }

    /// <summary>Makes the planned volumes that do not exist yet and records that the container mounts them.</summary>
    public void Attach(string containerId, IEnumerable<PlannedVolume> plan)
    {
        using FileLock guard = GlobalLock();
        foreach (PlannedVolume volume in plan)
        {
            Ensure(volume.Name, volume.DriverOptions, volume.Labels, volume.Anonymous);
            database.InsertContainerVolume(new ContainerVolume
            {
                ContainerId = containerId,
                Destination = volume.Destination,
                Volume = volume.Name,
                ReadOnly = volume.ReadOnly,
                Options = volume.Options,
                CopyUp = volume.CopyUp,
                Anonymous = volume.Anonymous,
            });
        }
    }

    /// <summary>
    /// At each start, with the container's rootfs mounted on <paramref name="rootfs"/> and before
    /// the runtime sees it: mounts the volumes that have options, copies the image's content into
    /// empty volumes at the container's first start, and returns the binds for its config.
    /// </summary>
    public List<VolumeBind> Prepare(string containerId, string rootfs)
    {
        try
        {
            return PrepareEach(containerId, rootfs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Skiff.Images.ImageException)
        {
            throw new EngineException($"preparing the container's volumes: {e.Message}");
        }
    }

    private List<VolumeBind> PrepareEach(string containerId, string rootfs)
    {
        List<VolumeBind> binds = [];
        foreach (ContainerVolume mount in database.ContainerVolumes(containerId))
        {
            VolumeRecord volume = database.FindVolume(mount.Volume)
                ?? throw new EngineException($"volume {mount.Volume} (mounted on {mount.Destination}) no longer exists");
            string data = DataPath(volume.Name);
            using (FileLock guard = VolumeLock(volume.Name))
            {
                System.IO.Directory.CreateDirectory(data, (UnixFileMode)0x1ED);
                if (volume.Mounted)
                {
                    if (!MountTable.Read().IsMountPoint(data)) VolumeOptions.Mount(volume.Name, volume.Options, data);
                    mount.Active = true;
                    database.UpdateContainerVolume(containerId, mount.Destination, mount.CopyUp, active: true);
                }
                if (mount.CopyUp)
                {
                    try
                    {
                        CopyUp.Run(rootfs, mount.Destination, data);
                    }
                    catch (EngineException e)
                    {
                        throw new EngineException($"copying the image's {mount.Destination} into volume {volume.Name}: {e.Message}");
                    }
                    catch (Skiff.Images.ImageException e)
                    {
                        throw new EngineException($"copying the image's {mount.Destination} into volume {volume.Name}: {e.Message}");
                    }
                    database.UpdateContainerVolume(containerId, mount.Destination, copyUp: false, mount.Active);
                }
            }
            binds.Add(new VolumeBind(volume.Name, data, mount.Destination, mount.ReadOnly, mount.Options));
        }
        return binds;
    }

    /// <summary>When the container stops: lets go of the host mounts it held, unmounting those no other running container holds.</summary>
    public void Release(string containerId)
    {
        foreach (ContainerVolume mount in database.ContainerVolumes(containerId).Where(m => m.Active))
        {
            using FileLock guard = VolumeLock(mount.Volume);
            database.UpdateContainerVolume(containerId, mount.Destination, mount.CopyUp, active: false);
            if (database.FindVolume(mount.Volume) is { Mounted: true } volume && database.ActiveVolumeUsers(volume.Name, containerId) == 0)
                VolumeOptions.Unmount(DataPath(volume.Name));
        }
    }

    /// <summary>
    /// After the container's record is deleted: forgets its mounts, and with
    /// <paramref name="removeAnonymous"/> (rm -v, --rm) removes the anonymous volumes made for it
    /// that no other container mounts. Named volumes always stay.
    /// </summary>
    public void Detach(string containerId, bool removeAnonymous)
    {
        using FileLock guard = GlobalLock();
        List<ContainerVolume> mounts = database.ContainerVolumes(containerId);
        database.DeleteContainerVolumes(containerId);
        if (!removeAnonymous) return;
        foreach (ContainerVolume mount in mounts.Where(m => m.Anonymous))
        {
            if (database.FindVolume(mount.Volume) is { Anonymous: true } volume && database.VolumeUsers(volume.Name).Count == 0)
                Delete(volume);
        }
    }

    /// <summary>A container's volume mounts, with where each volume's files are (for inspect).</summary>
    public List<(ContainerVolume Mount, string Source)> MountsOf(string containerId) =>
        [.. database.ContainerVolumes(containerId).Select(m => (m, DataPath(m.Volume)))];

    /// <summary>Go's path.Clean for mount destinations: no empty, "." or ".." parts, no trailing slash.</summary>
    public static string CleanPath(string path)
    {
        List<string> parts = [];
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }
}
