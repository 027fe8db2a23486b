using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skiff.Engine.Volumes;

namespace Skiff.Engine.Store;

/// <summary>
/// Volumes: <c>volumes</c> holds each volume's metadata (its files are under
/// <c>ROOT/volumes/NAME/_data</c>); <c>container_volumes</c> says which container mounts which
/// volume where. A row there is what makes a volume "in use" (rm refuses it, prune and
/// <c>dangling=true</c> skip it); it is written by create and deleted by rm. Every question about
/// use joins <c>containers</c>, so a row a killed rm left behind counts for nothing.
/// </summary>
public sealed partial class EngineDatabase
{
    private const string VolumeSchema = """
        CREATE TABLE IF NOT EXISTS volumes (
            name      TEXT PRIMARY KEY,
            driver    TEXT NOT NULL,
            created   TEXT NOT NULL,
            labels    TEXT NOT NULL,
            options   TEXT NOT NULL,
            anonymous INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS container_volumes (
            container_id TEXT NOT NULL,
            destination  TEXT NOT NULL,
            volume       TEXT NOT NULL,
            read_only    INTEGER NOT NULL,
            options      TEXT NOT NULL,
            copy_up      INTEGER NOT NULL,
            active       INTEGER NOT NULL DEFAULT 0,
            anonymous    INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (container_id, destination)
        );
        CREATE INDEX IF NOT EXISTS container_volumes_by_volume ON container_volumes (volume);
        """;

    /// <summary>Adds a volume; false when one of that name exists already.</summary>
    public bool InsertVolume(VolumeRecord volume)
    {
        using SqliteCommand command = Command("INSERT OR IGNORE INTO volumes (name, driver, created, labels, options, anonymous) VALUES ($name, $driver, $created, $labels, $options, $anonymous)");
        command.Parameters.AddWithValue("$name", volume.Name);
        command.Parameters.AddWithValue("$driver", volume.Driver);
        command.Parameters.AddWithValue("$created", volume.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$labels", JsonSerializer.Serialize(volume.Labels, VolumeJsonContext.Default.DictionaryStringString));
        command.Parameters.AddWithValue("$options", JsonSerializer.Serialize(volume.Options, VolumeJsonContext.Default.DictionaryStringString));
        command.Parameters.AddWithValue("$anonymous", volume.Anonymous ? 1 : 0);
        return command.ExecuteNonQuery() > 0;
    }

    public VolumeRecord? FindVolume(string name) => QueryVolumes("SELECT name, driver, created, labels, options, anonymous FROM volumes WHERE name = $p", name).FirstOrDefault();

    /// <summary>Every volume, by name (the order of <c>volume ls</c>).</summary>
    public List<VolumeRecord> ListVolumes() => QueryVolumes("SELECT name, driver, created, labels, options, anonymous FROM volumes ORDER BY name", null);

    public bool DeleteVolume(string name)
    {
        using SqliteCommand command = Command("DELETE FROM volumes WHERE name = $name");
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteNonQuery() > 0;
    }

    /// <summary>The containers that mount a volume (any state), oldest first.</summary>
    public List<string> VolumeUsers(string volume)
    {
        using SqliteCommand command = Command("""
            SELECT DISTINCT c.id FROM container_volumes v JOIN containers c ON c.id = v.container_id
            WHERE v.volume = $volume ORDER BY c.created, c.rowid
            """);
        command.Parameters.AddWithValue("$volume", volume);
        return ReadStrings(command);
    }

    /// <summary>The names of the volumes some container mounts.</summary>
    public HashSet<string> VolumesInUse()
    {
        using SqliteCommand command = Command("SELECT DISTINCT v.volume FROM container_volumes v JOIN containers c ON c.id = v.container_id");
        return [.. ReadStrings(command)];
    }

    public void InsertContainerVolume(ContainerVolume mount)
    {
        using SqliteCommand command = Command("""
            INSERT OR REPLACE INTO container_volumes (container_id, destination, volume, read_only, options, copy_up, active, anonymous)
            VALUES ($id, $destination, $volume, $ro, $options, $copy, $active, $anonymous)
            """);
        command.Parameters.AddWithValue("$id", mount.ContainerId);
        command.Parameters.AddWithValue("$destination", mount.Destination);
        command.Parameters.AddWithValue("$volume", mount.Volume);
        command.Parameters.AddWithValue("$ro", mount.ReadOnly ? 1 : 0);
        command.Parameters.AddWithValue("$options", JsonSerializer.Serialize(mount.Options, VolumeJsonContext.Default.ListString));
        command.Parameters.AddWithValue("$copy", mount.CopyUp ? 1 : 0);
        command.Parameters.AddWithValue("$active", mount.Active ? 1 : 0);
        command.Parameters.AddWithValue("$anonymous", mount.Anonymous ? 1 : 0);
        command.ExecuteNonQuery();
    }

    /// <summary>A container's volume mounts, outermost destination first.</summary>
    public List<ContainerVolume> ContainerVolumes(string containerId)
    {
        using SqliteCommand command = Command("SELECT container_id, destination, volume, read_only, options, copy_up, active, anonymous FROM container_volumes WHERE container_id = $id ORDER BY destination");
        command.Parameters.AddWithValue("$id", containerId);
        using SqliteDataReader reader = command.ExecuteReader();
        List<ContainerVolume> mounts = [];
        while (reader.Read())
        {
            mounts.Add(new ContainerVolume
            {
                ContainerId = reader.GetString(0),
                Destination = reader.GetString(1),
                Volume = reader.GetString(2),
                ReadOnly = reader.GetInt64(3) != 0,
                Options = JsonSerializer.Deserialize(reader.GetString(4), VolumeJsonContext.Default.ListString) ?? [],
                CopyUp = reader.GetInt64(5) != 0,
                Active = reader.GetInt64(6) != 0,
                Anonymous = reader.GetInt64(7) != 0,
            });
        }
        return mounts;
    }

    public void DeleteContainerVolumes(string containerId)
    {
        using SqliteCommand command = Command("DELETE FROM container_volumes WHERE container_id = $id");
        command.Parameters.AddWithValue("$id", containerId);
        command.ExecuteNonQuery();
    }

    /// <summary>Rows whose container is gone (a killed rm): they would only confuse later questions.</summary>
    public void DeleteOrphanContainerVolumes()
    {
        using SqliteCommand command = Command("DELETE FROM container_volumes WHERE container_id NOT IN (SELECT id FROM containers)");
        command.ExecuteNonQuery();
    }

    public void UpdateContainerVolume(string containerId, string destination, bool copyUp, bool active)
    {
        using SqliteCommand command = Command("UPDATE container_volumes SET copy_up = $copy, active = $active WHERE container_id = $id AND destination = $destination");
        command.Parameters.AddWithValue("$id", containerId);
        command.Parameters.AddWithValue("$destination", destination);
        command.Parameters.AddWithValue("$copy", copyUp ? 1 : 0);
        command.Parameters.AddWithValue("$active", active ? 1 : 0);
        command.ExecuteNonQuery();
    }

    /// <summary>How many containers other than <paramref name="exceptContainer"/> hold the volume's host mount now.</summary>
    public int ActiveVolumeUsers(string volume, string exceptContainer)
    {
        using SqliteCommand command = Command("""
            SELECT COUNT(*) FROM container_volumes v JOIN containers c ON c.id = v.container_id
            WHERE v.volume = $volume AND v.active = 1 AND v.container_id <> $except
            """);
        command.Parameters.AddWithValue("$volume", volume);
        command.Parameters.AddWithValue("$except", exceptContainer);
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private List<VolumeRecord> QueryVolumes(string sql, string? parameter)
    {
        using SqliteCommand command = Command(sql);
        if (parameter is not null) command.Parameters.AddWithValue("$p", parameter);
        using SqliteDataReader reader = command.ExecuteReader();
        List<VolumeRecord> volumes = [];
        while (reader.Read())
        {
            volumes.Add(new VolumeRecord
            {
                Name = reader.GetString(0),
                Driver = reader.GetString(1),
                CreatedAt = DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture),
                Labels = JsonSerializer.Deserialize(reader.GetString(3), VolumeJsonContext.Default.DictionaryStringString) ?? [],
                Options = JsonSerializer.Deserialize(reader.GetString(4), VolumeJsonContext.Default.DictionaryStringString) ?? [],
                Anonymous = reader.GetInt64(5) != 0,
            });
        }
        return volumes;
    }

    private static List<string> ReadStrings(SqliteCommand command)
    {
        using SqliteDataReader reader = command.ExecuteReader();
        List<string> values = [];
        while (reader.Read()) values.Add(reader.GetString(0));
        return values;
    }
}
