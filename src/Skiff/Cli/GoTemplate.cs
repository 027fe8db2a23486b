using System.Text;
using System.Text.Json;

namespace Skiff.Cli;

/// <summary>
/// The part of Go's text/template that --format strings use in practice: {{.Field}},
/// {{.Field.Sub}}, {{json .Field}}, {{json .}}, "table" prefixes and \t escapes. Fields are looked
/// up in the JSON form of the object, so every printed field has one spelling.
/// </summary>
public sealed class GoTemplate
{
    private readonly string _template;

    public bool IsTable { get; }

    public GoTemplate(string format)
    {
        string text = format.Trim();
        if (text.StartsWith("table", StringComparison.Ordinal))
        {
            IsTable = true;
            text = text[5..].TrimStart();
        }
        _template = text.Replace("\\t", "\t").Replace("\\n", "\n");
    }

    /// <summary>The header line of a table format: each field's name upper-cased, as docker prints it.</summary>
    public string Header() => Expand(_template, field => Header(field));

    public string Render(JsonElement data) => Expand(_template, action => Evaluate(action, data));

    private static string Header(string action)
    {
        string field = action.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last().TrimStart('.');
        return field.Length == 0 ? "" : string.Concat(field.Select((c, i) => i > 0 && char.IsUpper(c) && char.IsLower(field[i - 1]) ? " " + c : c.ToString())).ToUpperInvariant();
    }

    private static string Expand(string template, Func<string, string> action)
    {
        StringBuilder output = new();
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0) { output.Append(template, i, template.Length - i); break; }
            int close = template.IndexOf("}}", open, StringComparison.Ordinal);
            if (close < 0) throw new FormatException($"template: unclosed action in \"{template}\"");
            output.Append(template, i, open - i);
            output.Append(action(template[(open + 2)..close].Trim().Trim('-').Trim()));
            i = close + 2;
        }
        return output.ToString();
    }

    private static string Evaluate(string action, JsonElement data)
    {
        string[] words = action.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 2 && words[0] == "json") return Lookup(words[1], data) is { } value ? Compact(value) : "null";
        if (words.Length != 1) throw new FormatException($"template: unsupported action \"{{{{{action}}}}}\"");
        JsonElement? element = Lookup(words[0], data);
        return element is not { } found ? "<no value>" : found.ValueKind switch
        {
            JsonValueKind.String => found.GetString()!,
            JsonValueKind.Null => "<nil>",
            JsonValueKind.Array => "[" + string.Join(' ', found.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : Compact(e))) + "]",
            JsonValueKind.Object => "map[" + string.Join(' ', found.EnumerateObject().Select(p => $"{p.Name}:{(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : Compact(p.Value))}")) + "]",
            _ => found.GetRawText(),
        };
    }

    /// <summary>An element as one line of JSON, as Go's json function prints it.</summary>
    private static string Compact(JsonElement element)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            element.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static JsonElement? Lookup(string path, JsonElement data)
    {
        if (path == ".") return data;
        if (!path.StartsWith('.')) throw new FormatException($"template: unsupported expression \"{path}\"");
        JsonElement current = data;
        foreach (string part in path[1..].Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object) return null;
            if (current.TryGetProperty(part, out JsonElement exact))
            {
                current = exact;
                continue;
            }
            JsonProperty? match = current.EnumerateObject().Cast<JsonProperty?>().FirstOrDefault(p => p!.Value.Name.Equals(part, StringComparison.OrdinalIgnoreCase));
            if (match is not { } property) throw new FormatException($"template: can't evaluate field {part}");
            current = property.Value;
        }
        return current;
    }
}
