using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skiff.Engine.Network;

namespace Skiff.Engine.Store;

/// <summary>
/// Network teardowns the backend failed (a plugin's DEL, netavark's teardown): the run's setup is
/// kept here, and its leases stay, so that its addresses and published ports are not
/// handed out while rules may still send traffic to them; the teardown is tried again.
/// </summary>
public sealed partial class EngineDatabase
{
    private const string TeardownSchema = """
        CREATE TABLE IF NOT EXISTS network_teardowns (
            container_id TEXT PRIMARY KEY,
            setup        TEXT NOT NULL
        );
        """;

    public void DeferTeardown(string containerId, NetworkSetup setup)
    {
        using SqliteCommand command = Command("INSERT OR REPLACE INTO network_teardowns (container_id, setup) VALUES ($c, $setup)");
        command.Parameters.AddWithValue("$c", containerId);
        command.Parameters.AddWithValue("$setup", JsonSerializer.Serialize(setup, NetworkJsonContext.Default.NetworkSetup));
        command.ExecuteNonQuery();
    }

    public List<NetworkSetup> DeferredTeardowns()
    {
        using SqliteCommand command = Command("SELECT setup FROM network_teardowns");
        using SqliteDataReader reader = command.ExecuteReader();
        List<NetworkSetup> setups = [];
        while (reader.Read()) setups.Add(JsonSerializer.Deserialize(reader.GetString(0), NetworkJsonContext.Default.NetworkSetup)!);
        return setups;
    }

    public void DeleteDeferredTeardown(string containerId)
    {
        using SqliteCommand command = Command("DELETE FROM network_teardowns WHERE container_id = $c");
        command.Parameters.AddWithValue("$c", containerId);
        command.ExecuteNonQuery();
    }
}
