using System.Globalization;
using System.Text;

namespace Skiff.Oci.Runtime;

/// <summary>
/// A small JSON document written by hand: state.json and the runtime-spec state, which runtime
/// verbs write on every create, start, hook and `state`. System.Text.Json's writer would first run
/// its default encoder's class constructor (1 % of an `exec`) and its serializer would build each
/// type's metadata through reflection; neither is needed for a handful of fields. Strings are
/// escaped as Go's encoding/json escapes them (HTML-safe), as runc's own output is. Indented output
/// has System.Text.Json's layout (two spaces, "name": value); the documents mean what the generated
/// serializer's meant, only the escapes differ (Go's: \" and raw UTF-8 where it wrote \u0022 and \u00E9).
/// </summary>
public sealed class JsonText(bool indented)
{
    private readonly StringBuilder _text = new(256);
    private int _depth;
    private bool _empty = true;

    /// <summary>An object: the document itself, or the value of the name written just before.</summary>
    public JsonText StartObject()
    {
        _text.Append('{');
        _depth++;
        _empty = true;
        return this;
    }

    public JsonText EndObject()
    {
        _depth--;
        if (!_empty) NewLine();
        _text.Append('}');
        _empty = false;
        return this;
    }

    private JsonText Name(string name)
    {
        if (!_empty) _text.Append(',');
        NewLine();
        _empty = false;
        AppendString(_text, name);
        _text.Append(indented ? ": " : ":");
        return this;
    }

    /// <summary>A string member; a null one is left out, as System.Text.Json's WhenWritingNull leaves it out.</summary>
    public JsonText String(string name, string? value) => value is null ? this : Name(name).Raw(value, quoted: true);

    public JsonText Number(string name, long value) => Name(name).Raw(value.ToString(CultureInfo.InvariantCulture), quoted: false);

    public JsonText Number(string name, ulong value) => Name(name).Raw(value.ToString(CultureInfo.InvariantCulture), quoted: false);

    public JsonText Bool(string name, bool value) => Name(name).Raw(value ? "true" : "false", quoted: false);

    /// <summary>
    /// An object of string values, or nothing at all for null (as System.Text.Json's WhenWritingNull).
    /// A null value inside is written as null, as the generated serializer wrote it: a config whose
    /// annotations hold one is read by the generated deserializer, which keeps it.
    /// </summary>
    public JsonText Map(string name, IReadOnlyDictionary<string, string>? map)
    {
        if (map is null) return this;
        Name(name).StartObject();
        foreach ((string key, string? value) in map)
        {
            if (value is null) Name(key).Raw("null", quoted: false);
            else String(key, value);
        }
        return EndObject();
    }

    public override string ToString() => _text.ToString();

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_text.ToString());

    private JsonText Raw(string value, bool quoted)
    {
        if (quoted) AppendString(_text, value);
        else _text.Append(value);
        return this;
    }

    private void NewLine()
    {
        if (indented) _text.Append('\n').Append(' ', 2 * _depth);
    }

    /// <summary>A JSON string as Go's encoding/json writes it, HTML-safe escapes included.</summary>
    public static void AppendString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (Rune rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case < 0x20 or '<' or '>' or '&' or 0x2028 or 0x2029:
                    builder.Append("\\u").Append(rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: builder.Append(rune.ToString()); break;
            }
        }
        builder.Append('"');
    }
}
