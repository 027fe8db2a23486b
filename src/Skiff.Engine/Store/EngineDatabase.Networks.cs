using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skiff.Engine.Network;

namespace Skiff.Engine.Store;

/// <summary>
/// Networks: <c>networks</c> holds each network's definition; <c>container_networks</c> which
/// container asked for which network (create, connect), with its aliases and static addresses;
/// <c>network_leases</c> the addresses handed out to running containers, unique per network so no
/// address is ever given twice, whatever runs in parallel; <c>network_runs</c> a container's
/// current wiring (its netns and what the backend was given), written before anything is made so
/// that a killed skiff leaves enough behind for cleanup to undo half-done work.
/// </summary>
public sealed partial class EngineDatabase
{
    private const string NetworkSchema = """
        CREATE TABLE IF NOT EXISTS networks (
            id         TEXT PRIMARY KEY,
            name       TEXT NOT NULL UNIQUE,
            bridge     TEXT UNIQUE,
            definition TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS container_networks (
            container_id TEXT NOT NULL,
            network_id   TEXT NOT NULL,
            position     INTEGER NOT NULL,
            aliases      TEXT NOT NULL,
            ipv4         TEXT,
            ipv6         TEXT,
            mac          TEXT,
            PRIMARY KEY (container_id, network_id)
        );
        CREATE TABLE IF NOT EXISTS network_leases (
            network_id   TEXT NOT NULL,
            address      TEXT NOT NULL,
            container_id TEXT NOT NULL,
            UNIQUE (network_id, address)
        );
        CREATE INDEX IF NOT EXISTS network_leases_by_container ON network_leases (container_id);
        CREATE TABLE IF NOT EXISTS network_runs (
            container_id TEXT PRIMARY KEY,
            netns        TEXT NOT NULL,
            setup        TEXT,
            status       TEXT
        );
        """;

    /// <summary>Adds a network; false when its name or its bridge is taken.</summary>
    public bool InsertNetwork(NetworkDefinition network)
    {
        using SqliteCommand command = Command("INSERT OR IGNORE INTO networks (id, name, bridge, definition) VALUES ($id, $name, $bridge, $definition)");
        command.Parameters.AddWithValue("$id", network.Id);
        command.Parameters.AddWithValue("$name", network.Name);
        // Bridges are made per network; macvlan parents are shared.
        command.Parameters.AddWithValue("$bridge", network.Driver == "bridge" ? network.InterfaceName : DBNull.Value);
        command.Parameters.AddWithValue("$definition", JsonSerializer.Serialize(network, NetworkJsonContext.Default.NetworkDefinition));
        return command.ExecuteNonQuery() > 0;
    }

    public List<NetworkDefinition> ListNetworks() => QueryNetworks("SELECT definition FROM networks ORDER BY name", null);

    public NetworkDefinition? FindNetwork(string id) => QueryNetworks("SELECT definition FROM networks WHERE id = $p", id).FirstOrDefault();

    /// <summary>Docker's lookup: a full id, then an exact name, then a unique id prefix.</summary>
    public NetworkDefinition? ResolveNetwork(string reference)
    {
        if (QueryNetworks("SELECT definition FROM networks WHERE id = $p OR name = $p ORDER BY name = $p DESC", reference).FirstOrDefault() is { } exact) return exact;
        if (!IsHex(reference) || reference.Length == 0) return null;
        List<NetworkDefinition> matches = QueryNetworks("SELECT definition FROM networks WHERE substr(id, 1, length($p)) = $p", reference);
        return matches.Count switch
        {
            1 => matches[0],
            0 => null,
            _ => throw new EngineException($"network {reference} is ambiguous ({matches.Count} matches found based on ID prefix)"),
        };
    }

    public bool DeleteNetwork(string id)
    {
        using SqliteCommand command = Command("DELETE FROM networks WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() > 0;
    }

    /// <summary>
    /// Deletes a network no container asks for, in one write transaction: the check, then
    /// <paramref name="release"/> (the backend's removal), then the row. A container cannot join
    /// the network in between (<see cref="InsertContainerNetwork"/> waits for the transaction), and
    /// a release that fails leaves the row, so <c>network rm</c> can be tried again.
    /// </summary>
    /// <returns>The containers that use the network: not empty means nothing was done.</returns>
    public List<string> DeleteUnusedNetwork(string id, Action release)
    {
        using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
        List<string> users = NetworkUsers(id);
        if (users.Count > 0) return users;
        release();
        DeleteNetwork(id);
        transaction.Commit();
        return [];
    }

    /// <summary>
    /// Records that a container asks for a network, in one statement that finds the network: false
    /// when it is gone (removed since it was resolved), and nothing is written.
    /// </summary>
    public bool InsertContainerNetwork(ContainerNetwork attachment)
    {
        using SqliteCommand command = Command("""
            INSERT INTO container_networks (container_id, network_id, position, aliases, ipv4, ipv6, mac)
            SELECT $c, $n, COALESCE((SELECT MAX(position) + 1 FROM container_networks WHERE container_id = $c), 0), $aliases, $ipv4, $ipv6, $mac
            WHERE EXISTS (SELECT 1 FROM networks WHERE id = $n)
            """);
        command.Parameters.AddWithValue("$c", attachment.ContainerId);
        command.Parameters.AddWithValue("$n", attachment.NetworkId);
        command.Parameters.AddWithValue("$aliases", JsonSerializer.Serialize(attachment.Aliases, NetworkJsonContext.Default.ListString));
        command.Parameters.AddWithValue("$ipv4", (object?)attachment.Ipv4 ?? DBNull.Value);
        command.Parameters.AddWithValue("$ipv6", (object?)attachment.Ipv6 ?? DBNull.Value);
        command.Parameters.AddWithValue("$mac", (object?)attachment.Mac ?? DBNull.Value);
        try
        {
            return command.ExecuteNonQuery() > 0;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new EngineException($"container {attachment.ContainerId[..12]} is already connected to network {FindNetwork(attachment.NetworkId)?.Name ?? attachment.NetworkId}", 1);
        }
    }

    /// <summary>A container's networks in the order it joined them (the first is its primary).</summary>
    public List<ContainerNetwork> ContainerNetworks(string containerId) =>
        QueryContainerNetworks("SELECT container_id, network_id, aliases, ipv4, ipv6, mac FROM container_networks WHERE container_id = $p ORDER BY position", containerId);

    /// <summary>The containers (any state) that asked for a network.</summary>
    public List<string> NetworkUsers(string networkId)
    {
        using SqliteCommand command = Command("SELECT n.container_id FROM container_networks n JOIN containers c ON c.id = n.container_id WHERE n.network_id = $n");
        command.Parameters.AddWithValue("$n", networkId);
        return ReadStrings(command);
    }

    public bool DeleteContainerNetwork(string containerId, string networkId)
    {
        using SqliteCommand command = Command("DELETE FROM container_networks WHERE container_id = $c AND network_id = $n");
        command.Parameters.AddWithValue("$c", containerId);
        command.Parameters.AddWithValue("$n", networkId);
        return command.ExecuteNonQuery() > 0;
    }

    public void DeleteContainerNetworks(string containerId)
    {
        using SqliteCommand command = Command("DELETE FROM container_networks WHERE container_id = $c OR container_id NOT IN (SELECT id FROM containers)");
        command.Parameters.AddWithValue("$c", containerId);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Leases one address of <paramref name="networkId"/> to a container inside one write
    /// transaction: <paramref name="choose"/> sees every address taken and returns the one to take
    /// (null: none left). The table's uniqueness is the last word when two engines race.
    /// </summary>
    public string Lease(string networkId, string containerId, Func<HashSet<string>, string?> choose, string what)
    {
        using SqliteTransaction? own = _networkTransaction is null ? _connection.BeginTransaction(deferred: false) : null;
        SqliteTransaction transaction = own ?? _networkTransaction!;
        using SqliteCommand taken = Command("SELECT address FROM network_leases WHERE network_id = $n");
        taken.Transaction = transaction;
        taken.Parameters.AddWithValue("$n", networkId);
        HashSet<string> used = [.. ReadStrings(taken)];
        string address = choose(used) ?? throw new EngineException($"{what}: no free address left");
        using SqliteCommand insert = Command("INSERT INTO network_leases (network_id, address, container_id) VALUES ($n, $a, $c)");
        insert.Transaction = transaction;
        insert.Parameters.AddWithValue("$n", networkId);
        insert.Parameters.AddWithValue("$a", address);
        insert.Parameters.AddWithValue("$c", containerId);
        try
        {
            insert.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new EngineException($"{what}: address {address} is already in use");
        }
        own?.Commit();
        return address;
    }

    private SqliteTransaction? _networkTransaction;

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction, which every lease it takes joins: a
    /// run's leases and its <c>network_runs</c> row are written together, or not at all.
    /// </summary>
    public T InNetworkTransaction<T>(Func<T> work)
    {
        using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
        _networkTransaction = transaction;
        try
        {
            T result = work();
            transaction.Commit();
            return result;
        }
        finally
        {
            _networkTransaction = null;
        }
    }

    /// <summary>Every address leased on a network, with its holder.</summary>
    public List<(string Address, string ContainerId)> Leases(string networkId)
    {
        using SqliteCommand command = Command("SELECT address, container_id FROM network_leases WHERE network_id = $n ORDER BY address");
        command.Parameters.AddWithValue("$n", networkId);
        using SqliteDataReader reader = command.ExecuteReader();
        List<(string, string)> leases = [];
        while (reader.Read()) leases.Add((reader.GetString(0), reader.GetString(1)));
        return leases;
    }

    public int CountLeases()
    {
        using SqliteCommand command = Command("SELECT COUNT(*) FROM network_leases");
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void ReleaseLeases(string containerId, string? networkId = null)
    {
        using SqliteCommand command = Command("DELETE FROM network_leases WHERE container_id = $c AND ($n IS NULL OR network_id = $n)");
        command.Parameters.AddWithValue("$c", containerId);
        command.Parameters.AddWithValue("$n", (object?)networkId ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    /// <summary>Records a run's wiring; <paramref name="setup"/> null: only the netns is known yet.</summary>
    public void SaveNetworkRun(string containerId, string netns, NetworkSetup? setup, NetworkStatus? status)
    {
        using SqliteCommand command = Command("INSERT OR REPLACE INTO network_runs (container_id, netns, setup, status) VALUES ($c, $netns, $setup, $status)");
        command.Parameters.AddWithValue("$c", containerId);
        command.Parameters.AddWithValue("$netns", netns);
        command.Parameters.AddWithValue("$setup", setup is null ? DBNull.Value : JsonSerializer.Serialize(setup, NetworkJsonContext.Default.NetworkSetup));
        command.Parameters.AddWithValue("$status", status is null ? DBNull.Value : JsonSerializer.Serialize(status, NetworkJsonContext.Default.NetworkStatus));
        command.ExecuteNonQuery();
    }

    public NetworkRun? FindNetworkRun(string containerId)
    {
        using SqliteCommand command = Command("SELECT netns, setup, status FROM network_runs WHERE container_id = $c");
        command.Parameters.AddWithValue("$c", containerId);
        using SqliteDataReader reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        return new NetworkRun(containerId, reader.GetString(0),
            reader.IsDBNull(1) ? null : JsonSerializer.Deserialize(reader.GetString(1), NetworkJsonContext.Default.NetworkSetup),
            reader.IsDBNull(2) ? null : JsonSerializer.Deserialize(reader.GetString(2), NetworkJsonContext.Default.NetworkStatus));
    }

    /// <summary>The wiring of every container that has one now (running, or left half-done).</summary>
    public List<NetworkRun> NetworkRuns()
    {
        using SqliteCommand command = Command("SELECT container_id FROM network_runs");
        return [.. ReadStrings(command).Select(FindNetworkRun).OfType<NetworkRun>()];
    }

    public void DeleteNetworkRun(string containerId)
    {
        using SqliteCommand command = Command("DELETE FROM network_runs WHERE container_id = $c");
        command.Parameters.AddWithValue("$c", containerId);
        command.ExecuteNonQuery();
    }

    private List<NetworkDefinition> QueryNetworks(string sql, string? parameter)
    {
        using SqliteCommand command = Command(sql);
        if (parameter is not null) command.Parameters.AddWithValue("$p", parameter);
        return [.. ReadStrings(command).Select(d => JsonSerializer.Deserialize(d, NetworkJsonContext.Default.NetworkDefinition)).OfType<NetworkDefinition>()];
    }

    private List<ContainerNetwork> QueryContainerNetworks(string sql, string parameter)
    {
        using SqliteCommand command = Command(sql);
        command.Parameters.AddWithValue("$p", parameter);
        using SqliteDataReader reader = command.ExecuteReader();
        List<ContainerNetwork> rows = [];
        while (reader.Read())
        {
            rows.Add(new ContainerNetwork(reader.GetString(0), reader.GetString(1),
                JsonSerializer.Deserialize(reader.GetString(2), NetworkJsonContext.Default.ListString) ?? [],
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return rows;
    }
}

/// <summary>A container's wish to be on a network (a row of <c>container_networks</c>).</summary>
public sealed record ContainerNetwork(string ContainerId, string NetworkId, List<string> Aliases, string? Ipv4, string? Ipv6, string? Mac);

/// <summary>A container's current wiring (a row of <c>network_runs</c>).</summary>
public sealed record NetworkRun(string ContainerId, string Netns, NetworkSetup? Setup, NetworkStatus? Status);
