using System.Formats.Tar;
using System.Security.Cryptography;
using Skiff.Images.Archive;
using Skiff.Images.Fs;
using Skiff.Images.Tests.Support;
using Skiff.Linux;

namespace Skiff.Images.Tests;

/// <summary>TreeArchiver over an overlay-form tree: what a commit's layer tar holds.</summary>
public sealed class TreeArchiverTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static List<(TarEntryType Type, string Name, string Link)> Archive(string directory, TreeMode mode)
    {
        MemoryStream output = new();
        using (TarWriter writer = new(output, TarEntryFormat.Pax, leaveOpen: true))
        using (UnixFd root = ScopedFs.OpenDirectory(directory))
        {
            new TreeArchiver(writer, mode).AddContents(root.Value, "");
        }
        output.Position = 0;
        List<(TarEntryType, string, string)> entries = [];
        using TarReader reader = new(output);
        while (reader.GetNextEntry() is { } entry) entries.Add((entry.EntryType, entry.Name, entry.LinkName));
        return entries;
    }

    private static byte[] ArchiveBytes(string directory)
    {
        MemoryStream output = new();
        using (TarWriter writer = new(output, TarEntryFormat.Pax, leaveOpen: true))
        using (UnixFd root = ScopedFs.OpenDirectory(directory))
        {
            new TreeArchiver(writer, TreeMode.Layer).AddContents(root.Value, "");
        }
        return output.ToArray();
    }

    [Fact]
    public void The_same_tree_archived_twice_gives_the_same_bytes()
    {
        // A commit of an unchanged container must give the same layer digest: no entry may carry
        // the moment it was written (the PAX writer's default atime and ctime did).
        string tree = _temp.CreateDirectory("tree");
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        File.WriteAllText(Path.Combine(tree, "etc/motd"), "hello\n");
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "etc/motd");

        byte[] first = ArchiveBytes(tree);
        Thread.Sleep(1100);
        byte[] second = ArchiveBytes(tree);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(first)), Convert.ToHexString(SHA256.HashData(second)));
        using TarReader reader = new(new MemoryStream(first));
        while (reader.GetNextEntry() is PaxTarEntry entry)
            Assert.Equal(entry.ExtendedAttributes["mtime"].Split('.')[0], entry.ExtendedAttributes["atime"]);
    }

    [Fact]
    public void Overlay_whiteouts_and_opaque_directories_become_oci_whiteouts_in_layer_mode()
    {
        // The extractor turns OCI whiteouts into overlayfs's form; archiving in layer mode must turn them back.
        string upper = _temp.CreateDirectory("upper");
        using (LayerExtractor extractor = new(upper))
        {
            extractor.Extract(new MemoryStream(new TarBuilder()
                .Directory("etc/")
                .File("etc/.wh.shadow", "")
                .Directory("var/spool/")
                .File("var/spool/.wh..wh..opq", "")
                .File("var/spool/fresh", "new\n")
                .File("bin/tool", "x")
                .HardLink("bin/alias", "bin/tool")
                .Symlink("bin/link", "/etc/passwd")
                .Build()));
        }
        Assert.Contains("char", TreeState.Describe(Path.Combine(upper, "etc/shadow")));

        List<(TarEntryType Type, string Name, string Link)> layer = Archive(upper, TreeMode.Layer);
        Assert.Equal(
        [
            (TarEntryType.Directory, "bin/", ""),
            (TarEntryType.RegularFile, "bin/alias", ""),
            (TarEntryType.SymbolicLink, "bin/link", "/etc/passwd"),
            (TarEntryType.HardLink, "bin/tool", "bin/alias"),
            (TarEntryType.Directory, "etc/", ""),
            (TarEntryType.RegularFile, "etc/.wh.shadow", ""),
            (TarEntryType.Directory, "var/", ""),
            (TarEntryType.Directory, "var/spool/", ""),
            (TarEntryType.RegularFile, "var/spool/.wh..wh..opq", ""),
            (TarEntryType.RegularFile, "var/spool/fresh", ""),
        ], layer);

        // Plain mode (export, cp) archives the device as what it is.
        Assert.Contains((TarEntryType.CharacterDevice, "etc/shadow", ""), Archive(upper, TreeMode.Plain));
    }

    [Fact]
    public unsafe void A_redirected_directory_is_refused_in_layer_mode()
    {
        string upper = _temp.CreateDirectory("redirect");
        Directory.CreateDirectory(Path.Combine(upper, "moved"));
        fixed (byte* value = "/original"u8)
            Assert.Equal(0, Interop.Libc.LSetXattr(Path.Combine(upper, "moved"), "trusted.overlay.redirect", value, 9, 0));
        ImageException refused = Assert.Throws<ImageException>(() => Archive(upper, TreeMode.Layer));
        Assert.Contains("moved", refused.Message);
        Assert.Contains("redirect_dir", refused.Message);
        Assert.Contains((TarEntryType.Directory, "moved/", ""), Archive(upper, TreeMode.Plain));
    }

    public void Dispose() => _temp.Dispose();
}
