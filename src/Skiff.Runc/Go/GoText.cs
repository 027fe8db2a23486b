using System.Globalization;
using System.Text;

namespace Skiff.Runc.Go;

/// <summary>
/// Text exactly as Go's standard library writes it, for output that runc's clients parse:
/// strconv.Quote, encoding/json strings, and the RFC 3339 time layouts.
/// </summary>
internal static class GoText
{
    /// <summary>Go's strconv.Quote (the %q verb): printable runes kept, the rest escaped.</summary>
    public static void AppendQuoted(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (Rune rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\a': builder.Append("\\a"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\v': builder.Append("\\v"); break;
                default:
                    if (IsPrint(rune)) builder.Append(rune.ToString());
                    else if (rune.Value < 0x80) builder.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    else if (rune.Value <= 0xFFFF) builder.Append("\\u").Append(rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append("\\U").Append(rune.Value.ToString("x8", CultureInfo.InvariantCulture));
                    break;
            }
        }
        builder.Append('"');
    }

    /// <summary>Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    private static bool IsPrint(Rune rune)
    {
        if (rune.Value == ' ') return true;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator => false,
            _ => true,
        };
    }

    /// <summary>time.RFC3339: seconds, and "Z" for UTC as Go writes it.</summary>
    public static string Rfc3339(DateTimeOffset time) =>
        time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + Zone(time);

    /// <summary>time.RFC3339Nano: as many fraction digits as are not zero (Go has 9, .NET keeps 7).</summary>
    public static string Rfc3339Nano(DateTimeOffset time) =>
        time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture) + Zone(time);

    private static string Zone(DateTimeOffset time) =>
        time.Offset == TimeSpan.Zero ? "Z" : time.ToString("zzz", CultureInfo.InvariantCulture);
}
