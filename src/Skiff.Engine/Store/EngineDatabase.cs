using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skiff.Engine.Containers;

namespace Skiff.Engine.Store;

/// <summary>
/// The engine's state: one SQLite database under the root (WAL, so readers never wait for a
/// writer, and a busy timeout, so concurrent skiff processes queue instead of failing). A row is
/// written whole in one statement, so a killed skiff leaves either the old row or the new one.
/// </summary>
public sealed partial class EngineDatabase : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS containers (
            id       TEXT PRIMARY KEY,
            name     TEXT NOT NULL UNIQUE,
            image_id TEXT NOT NULL,
            created  TEXT NOT NULL,
            runtime  TEXT NOT NULL,
            request  TEXT NOT NULL,
            state    TEXT NOT NULL
        );
        """;

    private static int _initialized;
    private readonly SqliteConnection _connection;

    public EngineDatabase(string path)
    {
        if (Interlocked.Exchange(ref _initialized, 1) == 0) SQLitePCL.Batteries_V2.Init();
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            _connection.Open();
            // Every skiff command is a short process: a checkpoint at each close would fsync the
            // database several times per command. SQLite checkpoints as the WAL grows instead.
            SQLitePCL.raw.sqlite3_db_config(_connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out int _);
            Execute("PRAGMA busy_timeout = 30000");
            Execute("PRAGMA journal_mode = WAL");
            Execute("PRAGMA synchronous = NORMAL");
            Execute(Schema);
            Execute(VolumeSchema);
            Execute(NetworkSchema);
            Execute(TeardownSchema);
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new EngineException($"engine database {path}: {e.Message}");
        }
    }

    /// <summary>Adds a container; a name already taken fails with Docker's conflict message.</summary>
    public void Insert(ContainerRecord record)
    {
        using SqliteCommand command = Command("INSERT INTO containers (id, name, image_id, created, runtime, request, state) VALUES ($id, $name, $image, $created, $runtime, $request, $state)");
        Bind(command, record);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 /* SQLITE_CONSTRAINT */)
        {
            string holder = FindByName(record.Name)?.Id ?? "another container";
            throw new EngineException($"Conflict. The container name \"/{record.Name}\" is already in use by container \"{holder}\". You have to remove (or rename) that container to be able to reuse that name.");
        }
    }

    public void UpdateState(ContainerRecord record)
    {
        using SqliteCommand command = Command("UPDATE containers SET state = $state WHERE id = $id");
        command.Parameters.AddWithValue("$id", record.Id);
        command.Parameters.AddWithValue("$state", JsonSerializer.Serialize(record.State, EngineJsonContext.Default.ContainerState));
        command.ExecuteNonQuery();
    }

    public void UpdateRequest(ContainerRecord record)
    {
        using SqliteCommand command = Command("UPDATE containers SET request = $request WHERE id = $id");
        command.Parameters.AddWithValue("$id", record.Id);
        command.Parameters.AddWithValue("$request", JsonSerializer.Serialize(record.Request, EngineJsonContext.Default.ContainerRequest));
        command.ExecuteNonQuery();
    }

    public void Rename(string id, string name)
    {
        using SqliteCommand command = Command("UPDATE containers SET name = $name WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$name", name);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new EngineException($"Error when allocating new name: Conflict. The container name \"/{name}\" is already in use by container \"{FindByName(name)?.Id}\". You have to remove (or rename) that container to be able to reuse that name.");
        }
    }

    public bool Delete(string id)
    {
        using SqliteCommand command = Command("DELETE FROM containers WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() > 0;
    }

    public ContainerRecord? Find(string id) => Query("SELECT * FROM containers WHERE id = $p", id).FirstOrDefault();

    public ContainerRecord? FindByName(string name) => Query("SELECT * FROM containers WHERE name = $p", name).FirstOrDefault();

    /// <summary>Docker's lookup: a full id, then an exact name, then a unique id prefix.</summary>
    public ContainerRecord Resolve(string reference)
    {
        if (reference.Length == 0) throw new NoSuchContainerException(reference);
        string name = reference.StartsWith('/') ? reference[1..] : reference;
        if (Find(reference) is { } byId) return byId;
        if (FindByName(name) is { } byName) return byName;
        if (IsHex(reference))
        {
            List<ContainerRecord> matches = Query("SELECT * FROM containers WHERE substr(id, 1, length($p)) = $p", reference);
            if (matches.Count == 1) return matches[0];
            if (matches.Count > 1) throw new EngineException($"multiple containers found with provided prefix: {reference}", 1);
        }
        throw new NoSuchContainerException(reference);
    }

    /// <summary>Every container, newest first (the order of <c>ps</c>).</summary>
    public List<ContainerRecord> List() => Query("SELECT * FROM containers ORDER BY created DESC, rowid DESC", null);

    private List<ContainerRecord> Query(string sql, string? parameter)
    {
        using SqliteCommand command = Command(sql);
        if (parameter is not null) command.Parameters.AddWithValue("$p", parameter);
        using SqliteDataReader reader = command.ExecuteReader();
        List<ContainerRecord> records = [];
        while (reader.Read())
        {
            records.Add(new ContainerRecord
            {
                Id = reader.GetString(0),
                Name = reader.GetString(1),
                ImageId = reader.GetString(2),
                Created = DateTimeOffset.Parse(reader.GetString(3), System.Globalization.CultureInfo.InvariantCulture),
                RuntimePath = reader.GetString(4),
                Request = JsonSerializer.Deserialize(reader.GetString(5), EngineJsonContext.Default.ContainerRequest) ?? new(),
                State = JsonSerializer.Deserialize(reader.GetString(6), EngineJsonContext.Default.ContainerState) ?? new(),
            });
        }
        return records;
    }

    private static void Bind(SqliteCommand command, ContainerRecord record)
    {
        command.Parameters.AddWithValue("$id", record.Id);
        command.Parameters.AddWithValue("$name", record.Name);
        command.Parameters.AddWithValue("$image", record.ImageId);
        command.Parameters.AddWithValue("$created", record.Created.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$runtime", record.RuntimePath);
        command.Parameters.AddWithValue("$request", JsonSerializer.Serialize(record.Request, EngineJsonContext.Default.ContainerRequest));
        command.Parameters.AddWithValue("$state", JsonSerializer.Serialize(record.State, EngineJsonContext.Default.ContainerState));
    }

    private SqliteCommand Command(string sql)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private void Execute(string sql)
    {
        using SqliteCommand command = Command(sql);
        command.ExecuteNonQuery();
    }

    private static bool IsHex(string text)
    {
        foreach (char c in text) if (!char.IsAsciiHexDigitLower(c)) return false;
        return true;
    }

    public void Dispose() => _connection.Dispose();
}
