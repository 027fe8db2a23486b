using System.Formats.Tar;
using System.Text;

namespace Skiff.Images.Tests.Support;

/// <summary>Crafts layer archives entry by entry, including the malformed and malicious kinds.</summary>
public sealed class TarBuilder
{
    private readonly MemoryStream _stream = new();
    private readonly TarWriter _writer;
    private static readonly DateTimeOffset Epoch = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public TarBuilder() => _writer = new TarWriter(_stream, TarEntryFormat.Pax, leaveOpen: true);

    public TarBuilder File(string name, string content, UnixFileMode mode = (UnixFileMode)0x1a4, int uid = 0, int gid = 0, Dictionary<string, string>? pax = null) =>
        File(name, Encoding.UTF8.GetBytes(content), mode, uid, gid, pax);

    public TarBuilder File(string name, byte[] content, UnixFileMode mode = (UnixFileMode)0x1a4, int uid = 0, int gid = 0, Dictionary<string, string>? pax = null)
    {
        PaxTarEntry entry = new(TarEntryType.RegularFile, name, pax ?? []) { DataStream = new MemoryStream(content), Mode = mode, Uid = uid, Gid = gid, ModificationTime = Epoch };
        _writer.WriteEntry(entry);
        return this;
    }

    public TarBuilder Directory(string name, UnixFileMode mode = (UnixFileMode)0x1ed, int uid = 0, int gid = 0, DateTimeOffset? mtime = null)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode, Uid = uid, Gid = gid, ModificationTime = mtime ?? Epoch });
        return this;
    }

    public TarBuilder Symlink(string name, string target)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1ff, ModificationTime = Epoch });
        return this;
    }

    public TarBuilder HardLink(string name, string target)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0x1a4, ModificationTime = Epoch });
        return this;
    }

    public TarBuilder Device(string name, TarEntryType type, int major, int minor, UnixFileMode mode = (UnixFileMode)0x1b6)
    {
        _writer.WriteEntry(new PaxTarEntry(type, name) { DeviceMajor = major, DeviceMinor = minor, Mode = mode, ModificationTime = Epoch });
        return this;
    }

    public TarBuilder Fifo(string name)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, name) { Mode = (UnixFileMode)0x1a4, ModificationTime = Epoch });
        return this;
    }

    public byte[] Build()
    {
        _writer.Dispose();
        return _stream.ToArray();
    }

    public static DateTimeOffset Time => Epoch;
}
