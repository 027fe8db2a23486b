using System.Globalization;

namespace Skiff.Runc.Go;

/// <summary>
/// Numbers, sizes and durations as runc reads them from its flags (Go's strconv, docker's
/// go-units RAMInBytes, time.ParseDuration), so a value a client passes to runc means the same here.
/// Each returns null for text Go would refuse; the caller words the error.
/// </summary>
internal static class GoNumbers
{
    private static readonly Dictionary<char, long> BinaryUnits = new()
    {
        ['k'] = 1L << 10, ['m'] = 1L << 20, ['g'] = 1L << 30, ['t'] = 1L << 40, ['p'] = 1L << 50,
    };

    /// <summary>
    /// go-units RAMInBytes: a decimal number (fraction allowed), an optional space, then an optional
    /// unit k, m, g, t or p in either case (always powers of 1024), optionally followed by "i" and/or "b":
    /// "64m", "1.5g", "512KiB", "100", "10 MB".
    /// </summary>
    public static long? RamInBytes(string text)
    {
        int i = 0;
        int digitsStart = i;
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        if (i == digitsStart) return null;
        while (i < text.Length && text[i] == '.')
        {
            int fractionStart = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i == fractionStart) return null;
        }
        if (!double.TryParse(text.AsSpan(0, i), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            return null;
        if (i < text.Length && text[i] == ' ') i++;
        long multiplier = 1;
        if (i < text.Length && BinaryUnits.TryGetValue(char.ToLowerInvariant(text[i]), out long unit))
        {
            multiplier = unit;
            i++;
        }
        if (i < text.Length && text[i] is 'i' or 'I') i++;
        if (i < text.Length && text[i] is 'b' or 'B') i++;
        if (i != text.Length) return null;
        double bytes = number * multiplier;
        return bytes >= long.MaxValue ? null : (long)bytes;
    }

    /// <summary>strconv.ParseInt(text, 0, 64), which Go's flag package uses for int flags: "0x" hex, "0o"/"0" octal, "0b" binary.</summary>
    public static long? Int(string text)
    {
        bool negative = text.StartsWith('-');
        string body = text.StartsWith('-') || text.StartsWith('+') ? text[1..] : text;
        ulong? magnitude = UInt(body);
        if (magnitude is not { } m) return null;
        if (negative) return m <= (ulong)long.MaxValue + 1 ? (long)(0 - m) : null;
        return m <= long.MaxValue ? (long)m : null;
    }

    /// <summary>strconv.ParseUint(text, 10, 64).</summary>
    public static ulong? DecimalUInt(string text) =>
        text.Length > 0 && !text.AsSpan().ContainsAnyExceptInRange('0', '9') && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)
            ? v
            : null;

    /// <summary>strconv.ParseInt(text, 10, 64).</summary>
    public static long? DecimalInt(string text) =>
        text.Length > 0 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : null;

    private static ulong? UInt(string body)
    {
        if (body.Length == 0) return null;
        (int radix, string digits) = body.Length > 1 && body[0] == '0'
            ? char.ToLowerInvariant(body[1]) switch
            {
                'x' => (16, body[2..]),
                'b' => (2, body[2..]),
                'o' => (8, body[2..]),
                _ => (8, body[1..]),
            }
            : (10, body);
        if (digits.Length == 0) return null;
        ulong value = 0;
        foreach (char c in digits)
        {
            int digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : radix;
            if (digit >= radix) return null;
            try { value = checked(value * (ulong)radix + (ulong)digit); }
            catch (OverflowException) { return null; }
        }
        return value;
    }

    /// <summary>Ticks per unit of a Go duration, 0 for a unit Go does not know.</summary>
    private static double TicksPer(string unit) => unit switch
    {
        "ns" => 0.01, "us" or "µs" or "μs" => 10, "ms" => TimeSpan.TicksPerMillisecond,
        "s" => TimeSpan.TicksPerSecond, "m" => TimeSpan.TicksPerMinute, "h" => TimeSpan.TicksPerHour,
        _ => 0,
    };

    /// <summary>time.ParseDuration: a signed sequence of decimal numbers each with a unit, "5s", "1m30s", "1.5h", "300ms"; "0" alone.</summary>
    public static TimeSpan? Duration(string text)
    {
        string s = text;
        bool negative = false;
        if (s.StartsWith('-') || s.StartsWith('+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s == "0") return TimeSpan.Zero;
        if (s.Length == 0) return null;
        double ticks = 0;
        int i = 0;
        while (i < s.Length)
        {
            int start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (i == start || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
                return null;
            int unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            string unit = s[unitStart..i];
            double perUnit = TicksPer(unit);
            if (perUnit == 0) return null;
            ticks += number * perUnit;
        }
        if (ticks > TimeSpan.MaxValue.Ticks) return null;
        return TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
    }
}
