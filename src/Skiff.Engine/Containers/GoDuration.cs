using System.Globalization;

namespace Skiff.Engine.Containers;

/// <summary>Go's duration syntax, which Docker's flags take: "30s", "1m30s", "500ms", "1.5h".</summary>
public static class GoDuration
{
    public static TimeSpan? TryParse(string text)
    {
        if (text == "0") return TimeSpan.Zero;
        TimeSpan total = TimeSpan.Zero;
        int i = 0;
        if (text.Length == 0) return null;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (start == i || !double.TryParse(text[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)) return null;
            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i])) i++;
            TimeSpan? part = text[unitStart..i] switch
            {
                "ns" => TimeSpan.FromTicks((long)(value / 100)),
                "us" or "µs" => TimeSpan.FromTicks((long)(value * 10)),
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => null,
            };
            if (part is null) return null;
            total += part.Value;
        }
        return total;
    }

    public static TimeSpan Parse(string text, string flag) =>
        TryParse(text) ?? throw new EngineException($"invalid argument \"{text}\" for \"{flag}\" flag: time: invalid duration \"{text}\"");
}
