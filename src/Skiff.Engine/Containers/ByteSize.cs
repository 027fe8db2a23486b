using System.Globalization;

namespace Skiff.Engine.Containers;

/// <summary>Docker's memory sizes: a number with an optional b, k, m or g suffix, in powers of 1024.</summary>
public static class ByteSize
{
    public static long Parse(string text, string flag)
    {
        string value = text.Trim().ToLowerInvariant();
        long multiplier = 1;
        if (value.EndsWith('b') && value.Length > 1 && !char.IsAsciiDigit(value[^2])) value = value[..^1];
        else if (value.EndsWith('b')) value = value[..^1];
        if (value.Length > 0 && value[^1] is 'k' or 'm' or 'g' or 't')
        {
            multiplier = value[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L << 40 };
            value = value[..^1];
        }
        if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number) || number < 0)
            throw new EngineException($"invalid argument \"{text}\" for \"{flag}\" flag: invalid size: '{text}'");
        return (long)(number * multiplier);
    }
}
