using System.Globalization;
using System.Text.Json;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Store;

/// <summary>
/// state.json to and from a <see cref="ContainerRecord"/> without System.Text.Json's serializer:
/// every verb after create reads it (start, exec, kill, delete, state) and create writes it three
/// times, and the generated serializer first builds the metadata of the record's types through
/// reflection and runs its encoder's class constructor, together more than the rest of the
/// record's handling. The format is the one the generated serializer writes. A record with hooks,
/// and any document this reader does not know exactly (a null, a value of another JSON type), goes
/// to the generated (de)serializer, so every such file reads, or fails with its error, as before.
/// </summary>
internal static class StateFile
{
    public static byte[] Write(ContainerRecord record)
    {
        if (record.Hooks is not null)
            return JsonSerializer.SerializeToUtf8Bytes(record, StateJsonWriterContext.Default.ContainerRecord);
        var json = new JsonText(indented: false).StartObject()
            .String("id", record.Id).String("bundle", record.Bundle).String("rootfs", record.Rootfs)
            .Number("pid", record.Pid).Number("pidStartTime", record.PidStartTime).String("status", record.Status)
            .String("created", record.Created.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture))
            .String("owner", record.Owner).String("cgroupsPath", record.CgroupsPath);
        if (record.CreatorCgroup is { } creator) json.String("creatorCgroup", creator);
        return json.Bool("noNewKeyring", record.NoNewKeyring).Map("annotations", record.Annotations).EndObject().ToUtf8();
    }

    /// <summary>The record, or null for a document that is JSON null; a bad document throws the generated deserializer's JsonException.</summary>
    public static ContainerRecord? Read(byte[] json) =>
        TryRead(json, out ContainerRecord? record) ? record : JsonSerializer.Deserialize(json, StateJsonContext.Default.ContainerRecord);

    /// <summary>False when the document is one this reader leaves to the generated deserializer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out ContainerRecord? record)
    {
        record = null;
        var r = new Utf8JsonReader(json);
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
            var read = new ContainerRecord();
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("id"u8)) read.Id = String(ref r);
                else if (r.ValueTextEquals("bundle"u8)) read.Bundle = String(ref r);
                else if (r.ValueTextEquals("rootfs"u8)) read.Rootfs = String(ref r);
                else if (r.ValueTextEquals("pid"u8)) read.Pid = Number(ref r).GetInt32();
                else if (r.ValueTextEquals("pidStartTime"u8)) read.PidStartTime = Number(ref r).GetUInt64();
                else if (r.ValueTextEquals("status"u8)) read.Status = String(ref r);
                else if (r.ValueTextEquals("created"u8)) read.Created = Value(ref r, JsonTokenType.String).GetDateTimeOffset();
                else if (r.ValueTextEquals("owner"u8)) read.Owner = String(ref r);
                else if (r.ValueTextEquals("cgroupsPath"u8)) read.CgroupsPath = String(ref r);
                else if (r.ValueTextEquals("creatorCgroup"u8)) read.CreatorCgroup = String(ref r);
                else if (r.ValueTextEquals("noNewKeyring"u8)) read.NoNewKeyring = Value(ref r, JsonTokenType.True, JsonTokenType.False).GetBoolean();
                else if (r.ValueTextEquals("annotations"u8)) read.Annotations = Map(ref r);
                else if (r.ValueTextEquals("hooks"u8)) return false;
                else r.Skip();
            }
            if (r.TokenType != JsonTokenType.EndObject || r.Read()) return false;
            record = read;
            return true;
        }
        catch (NotHandledHere) { return false; }
        catch (JsonException) { return false; }
        catch (InvalidOperationException) { return false; }
        catch (FormatException) { return false; }
    }

    /// <summary>A value this reader leaves to the generated deserializer: a null or another JSON type.</summary>
    private sealed class NotHandledHere : Exception;

    /// <summary>Moves to the member's value, which must be of one of the given token types.</summary>
    private static ref Utf8JsonReader Value(ref Utf8JsonReader r, JsonTokenType type, JsonTokenType alternative = JsonTokenType.None)
    {
        if (!r.Read() || (r.TokenType != type && r.TokenType != alternative)) throw new NotHandledHere();
        return ref r;
    }

    private static ref Utf8JsonReader Number(ref Utf8JsonReader r) => ref Value(ref r, JsonTokenType.Number);

    private static string String(ref Utf8JsonReader r) => Value(ref r, JsonTokenType.String).GetString()!;

    private static Dictionary<string, string> Map(ref Utf8JsonReader r)
    {
        Value(ref r, JsonTokenType.StartObject);
        var map = new Dictionary<string, string>();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string key = r.GetString()!;
            map[key] = String(ref r);
        }
        return map;
    }
}
