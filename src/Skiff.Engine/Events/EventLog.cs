using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skiff.Engine.Events;

/// <summary>One engine event, in the shape of Docker's events API.</summary>
public sealed class EngineEvent
{
    public string Type { get; set; } = "container";
    public string Action { get; set; } = "";
    public string ID { get; set; } = "";
    public string Name { get; set; } = "";
    public string Image { get; set; } = "";
    public Dictionary<string, string> Attributes { get; set; } = [];
    /// <summary>Unix time in nanoseconds (Docker's timeNano).</summary>
    public long TimeNano { get; set; }

    [JsonIgnore] public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks(TimeNano / 100);
}

[JsonSerializable(typeof(EngineEvent))]
public sealed partial class EventJsonContext : JsonSerializerContext;

/// <summary>
/// What happened to containers, for `skiff events`: without a daemon to ask, every skiff process
/// appends one JSON line per event to events.jsonl under the root (O_APPEND, so concurrent writers
/// never interleave a line). Past 1 MiB the file is rotated to events.jsonl.1, keeping the last two.
/// </summary>
public sealed class EventLog(string root)
{
    private const long RotateAt = 1 << 20;

    public string Path { get; } = System.IO.Path.Combine(root, "events.jsonl");

    public void Append(EngineEvent entry)
    {
        entry.TimeNano = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, EventJsonContext.Default.EngineEvent) + "\n");
        try
        {
            using (FileStream file = new(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
                file.Write(line);
                if (file.Length < RotateAt) return;
            }
            File.Move(Path, Path + ".1", overwrite: true);
        }
        catch (IOException)
        {
            // Events are a record of what happened, never a reason for it to fail.
        }
    }

    /// <summary>Events from <paramref name="since"/>, oldest first; with <paramref name="follow"/> it waits for more until cancelled or past <paramref name="until"/>.</summary>
    public IEnumerable<EngineEvent> Read(DateTimeOffset? since, DateTimeOffset? until, bool follow, CancellationToken cancellationToken)
    {
        foreach (string old in (string[])[Path + ".1"])
            if (File.Exists(old))
                foreach (string line in File.ReadLines(old))
                    if (Parse(line) is { } e && InWindow(e, since, until)) yield return e;
        if (!File.Exists(Path) && follow) File.WriteAllBytes(Path, []);
        if (!File.Exists(Path)) yield break;
        using FileStream stream = new(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using StreamReader reader = new(stream, Encoding.UTF8);
        StringBuilder pending = new();
        while (!cancellationToken.IsCancellationRequested)
        {
            int c = reader.Read();
            if (c < 0)
            {
                if (!follow || (until is { } end && DateTimeOffset.UtcNow > end)) yield break;
                Thread.Sleep(100);
                continue;
            }
            if (c != '\n')
            {
                pending.Append((char)c);
                continue;
            }
            EngineEvent? entry = Parse(pending.ToString());
            pending.Clear();
            if (entry is not null && InWindow(entry, since, until)) yield return entry;
        }
    }

    private static bool InWindow(EngineEvent e, DateTimeOffset? since, DateTimeOffset? until) =>
        (since is null || e.Time >= since) && (until is null || e.Time <= until);

    private static EngineEvent? Parse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, EventJsonContext.Default.EngineEvent);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
