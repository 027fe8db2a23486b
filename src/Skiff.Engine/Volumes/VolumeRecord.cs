using System.Globalization;
using System.Text.Json.Serialization;

namespace Skiff.Engine.Volumes;

/// <summary>One volume, as the <c>volumes</c> table keeps it.</summary>
public sealed class VolumeRecord
{
    /// <summary>The label Docker (23+) puts on the volumes it makes for <c>-v /path</c> and image VOLUMEs.</summary>
    public const string AnonymousLabel = "com.docker.volume.anonymous";

    public string Name { get; set; } = "";
    public string Driver { get; set; } = "local";
    public DateTimeOffset CreatedAt { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    /// <summary>The local driver's options (type, device, o); empty for a plain directory.</summary>
    public Dictionary<string, string> Options { get; set; } = [];
    /// <summary>Made for a container (<c>-v /path</c>, an image VOLUME): <c>rm -v</c> and <c>volume prune</c> without -a remove it.</summary>
    public bool Anonymous { get; set; }

    public bool Mounted => Options.Count > 0;
}

/// <summary>
/// One volume mounted into one container (a row of <c>container_volumes</c>), written when the
/// container is created and deleted when it is removed: a volume with a row is in use.
/// </summary>
public sealed class ContainerVolume
{
    public string ContainerId { get; set; } = "";
    public string Destination { get; set; } = "";
    public string Volume { get; set; } = "";
    public bool ReadOnly { get; set; }
    /// <summary>Propagation options from -v or --mount (rprivate when none).</summary>
    public List<string> Options { get; set; } = [];
    /// <summary>The image's content at the destination is still to be copied in at the container's first start (not volume-nocopy).</summary>
    public bool CopyUp { get; set; }
    /// <summary>The container's current run holds the volume's host mount (volumes with options): the mount's reference count.</summary>
    public bool Active { get; set; }
    /// <summary>The volume was made for this mount (<c>-v /path</c>, an image VOLUME): <c>rm -v</c> removes it with the container.</summary>
    public bool Anonymous { get; set; }
}

/// <summary>A volume as a container's spec binds it.</summary>
public sealed record VolumeBind(string Name, string Source, string Destination, bool ReadOnly, IReadOnlyList<string> Options);

/// <summary>`skiff volume inspect`, in Docker's shape and key order.</summary>
public sealed class VolumeInspect
{
    public string CreatedAt { get; set; } = "";
    public string Driver { get; set; } = "local";
    public Dictionary<string, string>? Labels { get; set; }
    public string Mountpoint { get; set; } = "";
    public string Name { get; set; } = "";
    public Dictionary<string, string>? Options { get; set; }
    public string Scope { get; set; } = "local";

    public static VolumeInspect From(VolumeRecord record, string mountpoint) => new()
    {
        CreatedAt = Rfc3339(record.CreatedAt),
        Driver = record.Driver,
        Labels = record.Labels,
        Mountpoint = mountpoint,
        Name = record.Name,
        Options = record.Options.Count > 0 ? record.Options : null,
    };

    /// <summary>Go's time.RFC3339 in local time, as dockerd prints CreatedAt.</summary>
    public static string Rfc3339(DateTimeOffset time)
    {
        DateTimeOffset local = time.ToLocalTime();
        string text = local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return local.Offset == TimeSpan.Zero ? text + "Z" : text + local.ToString("zzz", CultureInfo.InvariantCulture);
    }
}

/// <summary>A row of `skiff volume ls`, its --format fields named as Docker's.</summary>
public sealed class VolumeListRow
{
    public string Availability { get; set; } = "N/A";
    public string Driver { get; set; } = "local";
    public string Group { get; set; } = "N/A";
    public string Labels { get; set; } = "";
    public string Links { get; set; } = "N/A";
    public string Mountpoint { get; set; } = "";
    public string Name { get; set; } = "";
    public string Scope { get; set; } = "local";
    public string Size { get; set; } = "N/A";
    public string Status { get; set; } = "N/A";
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(List<VolumeInspect>))]
[JsonSerializable(typeof(VolumeInspect))]
[JsonSerializable(typeof(VolumeListRow))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
public sealed partial class VolumeJsonContext : JsonSerializerContext;
