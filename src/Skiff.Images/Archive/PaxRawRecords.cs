using System.Formats.Tar;
using System.Text;
using Skiff.Images.IO;

namespace Skiff.Images.Archive;

/// <summary>
/// A read-through view of a tar stream that keeps the raw bytes of each entry's extended
/// attributes. .NET's TarReader decodes PAX values as UTF-8 strings, which is lossy for binary
/// xattr values (security.capability), so xattrs are taken from here instead.
///
/// It follows the archive's block framing as TarReader does and counts real entries; if the two
/// ever disagree about which entry is current, extraction stops rather than guess.
/// </summary>
internal sealed class PaxRawRecords(Stream inner) : ReadOnlyStream
{
    private const int BlockSize = 512;
    private const int MaxPaxBytes = 16 * 1024 * 1024;

    private readonly byte[] _header = new byte[BlockSize];
    private int _headerFill;
    private long _skip;                 // data bytes (with padding) still to pass before the next header
    private MemoryStream? _paxData;     // the data block of a local PAX header being collected
    private long _paxRemaining, _paxPadding;
    private List<KeyValuePair<string, byte[]>>? _pendingXattrs;
    private long? _pendingSize;
    private List<KeyValuePair<string, byte[]>> _currentXattrs = [];
    private long _realHeaders, _taken;

    /// <summary>The xattrs of the entry TarReader just returned, overlay's own names left out.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> TakeXattrs(TarEntry entry)
    {
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) return [];
        _taken++;
        if (_taken != _realHeaders)
            throw new ImageException($"layer entry \"{entry.Name}\": tar framing disagrees with the reader (entry {_taken} of {_realHeaders})");
        return _currentXattrs;
    }

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        Observe(buffer[..n]);
        return n;
    }

    private void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_paxData is not null)
            {
                int take = (int)Math.Min(bytes.Length, _paxRemaining);
                _paxData.Write(bytes[..take]);
                bytes = bytes[take..];
                _paxRemaining -= take;
                if (_paxRemaining == 0)
                {
                    ParsePax(_paxData.ToArray());
                    _paxData = null;
                    _skip = _paxPadding;
                }
                continue;
            }
            if (_skip > 0)
            {
                int take = (int)Math.Min(bytes.Length, _skip);
                bytes = bytes[take..];
                _skip -= take;
                continue;
            }
            int fill = Math.Min(bytes.Length, BlockSize - _headerFill);
            bytes[..fill].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += fill;
            bytes = bytes[fill..];
            if (_headerFill == BlockSize)
            {
                _headerFill = 0;
                OnHeader();
            }
        }
    }

    private void OnHeader()
    {
        if (!_header.AsSpan().ContainsAnyExcept((byte)0)) return;   // end-of-archive blocks
        byte type = _header[156];
        long size = ParseNumber(_header.AsSpan(124, 12));
        switch (type)
        {
            case (byte)'x':
                if (size > MaxPaxBytes) throw new ImageException("layer: PAX header too large");
                _paxData = new MemoryStream((int)size);
                _paxRemaining = size;
                _paxPadding = Padding(size);
                if (size == 0) { ParsePax([]); _paxData = null; _skip = 0; }
                return;
            case (byte)'g' or (byte)'L' or (byte)'K':
                _skip = size + Padding(size);
                return;
        }
        // A real entry: it owns the pending PAX attributes, and its data length may come from them.
        _realHeaders++;
        _currentXattrs = _pendingXattrs ?? [];
        long dataSize = _pendingSize ?? size;
        _pendingXattrs = null;
        _pendingSize = null;
        bool hasData = type is not ((byte)'1' or (byte)'2' or (byte)'3' or (byte)'4' or (byte)'5' or (byte)'6');
        _skip = hasData ? dataSize + Padding(dataSize) : 0;
    }

    private void ParsePax(byte[] data)
    {
        List<KeyValuePair<string, byte[]>> xattrs = [];
        int position = 0;
        while (position < data.Length)
        {
            int space = Array.IndexOf(data, (byte)' ', position);
            if (space < 0) break;
            if (!int.TryParse(data.AsSpan(position, space - position), out int length) || length <= 0 || position + length > data.Length)
                throw new ImageException("layer: malformed PAX record");
            int equals = Array.IndexOf(data, (byte)'=', space + 1, position + length - space - 1);
            if (equals < 0) throw new ImageException("layer: malformed PAX record");
            string key = Encoding.UTF8.GetString(data, space + 1, equals - space - 1);
            byte[] value = data.AsSpan(equals + 1, position + length - 1 - (equals + 1)).ToArray();
            position += length;

            if (key == "size")
                _pendingSize = long.Parse(Encoding.ASCII.GetString(value));
            else if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                Add(xattrs, key["SCHILY.xattr.".Length..], value);
            else if (key.StartsWith("LIBARCHIVE.xattr.", StringComparison.Ordinal))
                Add(xattrs, Uri.UnescapeDataString(key["LIBARCHIVE.xattr.".Length..]), Convert.FromBase64String(Encoding.ASCII.GetString(value)));
        }
        _pendingXattrs = xattrs;
    }

    private static void Add(List<KeyValuePair<string, byte[]>> xattrs, string name, byte[] value)
    {
        if (name.StartsWith(Whiteouts.OverlayXattrPrefix, StringComparison.Ordinal)) return;
        xattrs.RemoveAll(pair => pair.Key == name);
        xattrs.Add(new(name, value));
    }

    private static long Padding(long size) => (BlockSize - size % BlockSize) % BlockSize;

    /// <summary>A numeric header field: octal text, or GNU's base-256 with the high bit set.</summary>
    private static long ParseNumber(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            long value = field[0] & 0x7f;
            foreach (byte b in field[1..]) value = (value << 8) | b;
            return value;
        }
        long result = 0;
        foreach (byte b in field)
        {
            if (b is (byte)' ' or 0) { if (result != 0) break; continue; }
            if (b < '0' || b > '7') throw new ImageException("layer: invalid tar size field");
            result = result * 8 + (b - '0');
        }
        return result;
    }
}
