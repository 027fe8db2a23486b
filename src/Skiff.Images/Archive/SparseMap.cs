using System.Formats.Tar;
using System.Globalization;

namespace Skiff.Images.Archive;

/// <summary>
/// GNU tar's PAX sparse formats 0.1 (map in a header) and 1.0 (map at the head of the data), which
/// .NET 9's TarReader passes through undecoded: the real name, size and data regions.
/// </summary>
internal sealed class SparseMap
{
    private readonly IDictionary<string, string> _attributes;
    private readonly bool _mapInData;

    public string RealName { get; }
    public long RealSize { get; }

    private SparseMap(string realName, long realSize, bool mapInData, IDictionary<string, string> attributes)
    {
        RealName = realName;
        RealSize = realSize;
        _mapInData = mapInData;
        _attributes = attributes;
    }

    public static SparseMap? From(TarEntry entry)
    {
        if (entry is not PaxTarEntry pax) return null;
        IReadOnlyDictionary<string, string> attributes = pax.ExtendedAttributes;
        bool hasMajor = attributes.TryGetValue("GNU.sparse.major", out string? major);
        attributes.TryGetValue("GNU.sparse.minor", out string? minor);
        if (!hasMajor)
        {
            if (attributes.ContainsKey("GNU.sparse.map") && attributes.TryGetValue("GNU.sparse.size", out string? size01))
                return new SparseMap(Name(attributes, entry), Number(size01), false, Copy(attributes));
            if (attributes.ContainsKey("GNU.sparse.numblocks") || attributes.ContainsKey("GNU.sparse.offset"))
                throw new InvalidDataException("PAX sparse format 0.0 is not supported (use 1.0)");
            return null;
        }
        if (major == "1" && minor == "0")
            return new SparseMap(Name(attributes, entry), Number(attributes.GetValueOrDefault("GNU.sparse.realsize")), true, Copy(attributes));
        if (major == "0" && minor == "1" && attributes.TryGetValue("GNU.sparse.size", out string? size))
            return new SparseMap(Name(attributes, entry), Number(size), false, Copy(attributes));
        throw new InvalidDataException($"PAX sparse format {major}.{minor} is not supported");
    }

    /// <summary>Writes the regions where they belong; the caller sets the file's length to RealSize.</summary>
    public long CopyTo(Stream data, SparseWriter writer)
    {
        long consumed = 0;
        List<long> numbers;
        if (_mapInData)
        {
            long count = ReadNumber(data, ref consumed);
            numbers = [];
            for (long i = 0; i < count * 2; i++) numbers.Add(ReadNumber(data, ref consumed));
            long padding = (512 - consumed % 512) % 512;
            data.ReadExactly(new byte[padding]);
        }
        else
        {
            numbers = [.. _attributes["GNU.sparse.map"].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Number)];
            if (numbers.Count % 2 != 0) throw new InvalidDataException("sparse map has an odd number of values");
        }
        for (int i = 0; i < numbers.Count; i += 2)
        {
            long offset = numbers[i], length = numbers[i + 1];
            if (offset < 0 || length < 0 || offset + length > RealSize) throw new InvalidDataException("sparse region outside the file");
            writer.CopyExactly(data, offset, length);
        }
        return RealSize;
    }

    private static long ReadNumber(Stream data, ref long consumed)
    {
        long value = 0;
        int digits = 0;
        while (true)
        {
            int b = data.ReadByte();
            if (b < 0) throw new InvalidDataException("sparse map ends early");
            consumed++;
            if (b == '\n' && digits > 0) return value;
            if (b < '0' || b > '9' || ++digits > 18) throw new InvalidDataException("invalid sparse map");
            value = value * 10 + (b - '0');
        }
    }

    private static string Name(IReadOnlyDictionary<string, string> attributes, TarEntry entry) =>
        attributes.TryGetValue("GNU.sparse.name", out string? name) ? name : entry.Name;

    private static long Number(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value >= 0
            ? value : throw new InvalidDataException($"invalid sparse size \"{text}\"");

    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string> attributes) => attributes.ToDictionary();
}
