using System.Text.Json;

namespace Skiff.Oci.Runtime;

/// <summary>
/// A JSON error as a user can act on it: the field, what it held, what it should hold, or where the
/// syntax broke. NativeAOT strips the framework's messages (a JsonException reads
/// "DeserializeUnableToConvertValue, System.UInt64"), so the reason is rebuilt from the document.
/// </summary>
public static class OciJsonError
{
    private const int MaxEcho = 40;

    public static string Describe(JsonException e, ReadOnlySpan<byte> document)
    {
        if (SyntaxError(document) is { } syntax) return syntax;
        string field = FieldOf(e.Path);
        string? expected = ExpectedType(e.Message);
        if (field.Length > 0 && Find(document, e.Path!) is { } value && expected is not null)
            return $"json: cannot unmarshal {KindOf(value.Kind)}{(value.Raw.Length > 0 ? " " + Echo(value.Raw) : "")} into {field} ({expected})";
        if (field.Length > 0 && expected is not null) return $"json: {field}: expected {expected}";
        if (field.Length > 0) return $"json: invalid value for {field}";
        return "json: not a valid document";
    }

    /// <summary>The part of the document a user typed, bounded: a 10 MB value is never echoed whole.</summary>
    public static string Echo(string text) => text.Length <= MaxEcho ? text : text[..MaxEcho] + $"...({text.Length} characters)";

    private static string? SyntaxError(ReadOnlySpan<byte> document)
    {
        var options = new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var reader = new Utf8JsonReader(document, isFinalBlock: true, new JsonReaderState(options));
        try
        {
            while (reader.Read()) { }
            return null;
        }
        catch (JsonException) { }
        // Read as a block with more to come, a document that was cut short simply runs out.
        var partial = new Utf8JsonReader(document, isFinalBlock: false, new JsonReaderState(options));
        try
        {
            while (partial.Read()) { }
            return "unexpected end of JSON input";
        }
        catch (JsonException) { }
        int next = (int)partial.BytesConsumed;
        while (next < document.Length && document[next] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)',' or (byte)':') next++;
        if (next >= document.Length) return "unexpected end of JSON input";
        int line = 1, column = 1;
        for (int i = 0; i < next; i++)
        {
            if (document[i] == '\n') { line++; column = 1; }
            else column++;
        }
        byte c = document[next];
        string shown = c is >= 0x20 and < 0x7f ? ((char)c).ToString() : $"\\x{c:x2}";
        return $"invalid character '{shown}' at line {line}, column {column}";
    }

    private static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return "";
        string field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return Echo(field);
    }

    /// <summary>The .NET type named in the message (full or resource key), as the spec's type name.</summary>
    private static string? ExpectedType(string message)
    {
        if (TypeNameIn(message) is not { } type) return null;
        if (type.Contains("List`1", StringComparison.Ordinal) || type.EndsWith("[]", StringComparison.Ordinal)) return "array";
        if (type.Contains("Dictionary`2", StringComparison.Ordinal)) return "object";
        if (type.StartsWith("Skiff.", StringComparison.Ordinal)) return "object";
        return type switch
        {
            "System.UInt64" => "uint64", "System.Int64" => "int64", "System.UInt32" => "uint32", "System.Int32" => "int32",
            "System.UInt16" => "uint16", "System.Int16" => "int16", "System.Byte" => "uint8", "System.SByte" => "int8",
            "System.Boolean" => "bool", "System.String" => "string", "System.Double" or "System.Single" => "number",
            _ => null,
        };
    }

    /// <summary>
    /// The first "System.X" or "Skiff.X" type name in a message, with a generic argument list or
    /// array brackets if one follows. Scanned by hand: a regex would bring the whole regex engine
    /// into the runtime's binary for an error path.
    /// </summary>
    private static string? TypeNameIn(string message)
    {
        for (int start = FirstTypePrefix(message, 0); start >= 0; start = FirstTypePrefix(message, start + 1))
        {
            int end = message.IndexOf('.', start) + 1;
            int nameStart = end;
            while (end < message.Length && (char.IsAsciiLetterOrDigit(message[end]) || message[end] is '_' or '.' or '`')) end++;
            if (end == nameStart) continue;
            if (end < message.Length && message[end] == '[' && message.IndexOf(']', end) is int close and > 0) end = close + 1;
            return message[start..end].TrimEnd('.');
        }
        return null;
    }

    private static int FirstTypePrefix(string message, int from)
    {
        int system = message.IndexOf("System.", from, StringComparison.Ordinal);
        int skiff = message.IndexOf("Skiff.", from, StringComparison.Ordinal);
        return system < 0 ? skiff : skiff < 0 ? system : Math.Min(system, skiff);
    }

    private static string KindOf(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "number", JsonValueKind.String => "string", JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Array => "array", JsonValueKind.Object => "object", _ => "null",
    };

    /// <summary>The value a JsonException's path ($.a.b[0]['c.d']) names, or null when it cannot be followed.</summary>
    private static (JsonValueKind Kind, string Raw)? Find(ReadOnlySpan<byte> document, string path)
    {
        JsonDocument parsed;
        try { parsed = JsonDocument.Parse(document.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException) { return null; }
        using (parsed)
        {
            JsonElement at = parsed.RootElement;
            int i = path.StartsWith('$') ? 1 : 0;
            while (i < path.Length)
            {
                if (path[i] == '.')
                {
                    int end = path.IndexOfAny(['.', '['], i + 1);
                    if (end < 0) end = path.Length;
                    if (at.ValueKind != JsonValueKind.Object || !at.TryGetProperty(path[(i + 1)..end], out at)) return null;
                    i = end;
                }
                else if (path.AsSpan(i).StartsWith("['"))
                {
                    int end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                    if (end < 0 || at.ValueKind != JsonValueKind.Object || !at.TryGetProperty(path[(i + 2)..end], out at)) return null;
                    i = end + 2;
                }
                else if (path[i] == '[')
                {
                    int end = path.IndexOf(']', i);
                    if (end < 0 || at.ValueKind != JsonValueKind.Array || !int.TryParse(path.AsSpan(i + 1, end - i - 1), out int index) || index >= at.GetArrayLength())
                        return null;
                    at = at[index];
                    i = end + 1;
                }
                else return null;
            }
            string raw = at.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? "" : at.GetRawText();
            return (at.ValueKind, raw);
        }
    }
}
