using System.Diagnostics;
using System.Formats.Tar;
using Skiff.Images.Archive;
using Skiff.Images.Tests.Support;
using Skiff.Linux;

namespace Skiff.Images.Tests;

/// <summary>Layer extraction into overlay-form snapshots: every kind of entry, preserved exactly.</summary>
public sealed class ExtractorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Extract(byte[] tar, params string[] lowers)
    {
        string target = _temp.CreateDirectory("snap-" + Guid.NewGuid().ToString("N")[..8]);
        using LayerExtractor extractor = new(target, lowers);
        extractor.Extract(new MemoryStream(tar));
        return target;
    }

    [Fact]
    public void Files_directories_links_and_nodes_keep_their_metadata()
    {
        byte[] tar = new TarBuilder()
            .Directory("etc/", (UnixFileMode)0x1ed)
            .File("etc/passwd", "root:x:0:0::/root:/bin/sh\n", (UnixFileMode)0x1a4)
            .File("bin/su", "suid", (UnixFileMode)0x9ed, uid: 0, gid: 0)
            .Directory("tmp/", (UnixFileMode)0x3ff)
            .File("home/user/notes", "mine", (UnixFileMode)0x180, uid: 1000, gid: 1001)
            .Symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
            .HardLink("etc/passwd-", "etc/passwd")
            .Device("dev/null", TarEntryType.CharacterDevice, 1, 3)
            .Device("dev/loop9", TarEntryType.BlockDevice, 7, 9, (UnixFileMode)0x1b0)
            .Fifo("run/pipe")
            .Build();
        string root = Extract(tar);

        Assert.StartsWith("file mode=644 uid=0 gid=0", TreeState.Describe(Path.Combine(root, "etc/passwd")));
        Assert.StartsWith("file mode=4755", TreeState.Describe(Path.Combine(root, "bin/su")));
        Assert.StartsWith("dir mode=1777", TreeState.Describe(Path.Combine(root, "tmp")));
        Assert.StartsWith("file mode=600 uid=1000 gid=1001", TreeState.Describe(Path.Combine(root, "home/user/notes")));
        Assert.Equal("/usr/share/zoneinfo/UTC", new FileInfo(Path.Combine(root, "etc/localtime")).LinkTarget);
        Assert.Contains("char mode=666", TreeState.Describe(Path.Combine(root, "dev/null")));
        Assert.Contains("dev=1:3", TreeState.Describe(Path.Combine(root, "dev/null")));
        Assert.Contains("block mode=660", TreeState.Describe(Path.Combine(root, "dev/loop9")));
        Assert.Contains("dev=7:9", TreeState.Describe(Path.Combine(root, "dev/loop9")));
        Assert.StartsWith("fifo", TreeState.Describe(Path.Combine(root, "run/pipe")));

        Interop.Libc.FstatAt(FileFlags.AT_FDCWD, Path.Combine(root, "etc/passwd"), out Interop.StatBuffer a, FileFlags.AT_SYMLINK_NOFOLLOW);
        Interop.Libc.FstatAt(FileFlags.AT_FDCWD, Path.Combine(root, "etc/passwd-"), out Interop.StatBuffer b, FileFlags.AT_SYMLINK_NOFOLLOW);
        Assert.Equal(a.Inode, b.Inode);
        Assert.Equal(2UL, a.LinkCount);

        // Every entry's mtime, directories included (they are stamped after their children).
        long expected = TarBuilder.Time.ToUnixTimeSeconds();
        foreach (string path in (string[])["etc", "etc/passwd", "tmp", "etc/localtime", "dev/null"])
        {
            Interop.Libc.FstatAt(FileFlags.AT_FDCWD, Path.Combine(root, path), out Interop.StatBuffer stat, FileFlags.AT_SYMLINK_NOFOLLOW);
            Assert.True(expected == stat.ModifyTime.Seconds, $"{path}: mtime {stat.ModifyTime.Seconds}");
        }
    }

    [Fact]
    public void Whiteouts_and_opaque_directories_become_overlayfs_markers()
    {
        byte[] tar = new TarBuilder()
            .Directory("etc/")
            .File("etc/.wh.motd", "")
            .Directory("var/cache/")
            .File("var/cache/.wh..wh..opq", "")
            .File("var/cache/fresh", "new")
            .File(".wh.oldroot", "")
            .Build();
        string root = Extract(tar);

        Assert.Contains("char mode=0", TreeState.Describe(Path.Combine(root, "etc/motd")));
        Assert.Contains("dev=0:0", TreeState.Describe(Path.Combine(root, "etc/motd")));
        Assert.Contains("dev=0:0", TreeState.Describe(Path.Combine(root, "oldroot")));
        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(root, "var/cache"), "trusted.overlay.opaque"));
        Assert.True(File.Exists(Path.Combine(root, "var/cache/fresh")));
        Assert.False(File.Exists(Path.Combine(root, "etc/.wh.motd")));
        Assert.False(File.Exists(Path.Combine(root, "var/cache/.wh..wh..opq")));
    }

    [Fact]
    public void Binary_xattrs_survive_and_overlay_xattrs_from_archives_are_dropped()
    {
        string source = _temp.CreateDirectory("src");
        string ping = Path.Combine(source, "ping");
        File.WriteAllText(ping, "binary");
        // cap_setuid is bit 7: its capability mask holds a 0x80 byte, which is not valid UTF-8.
        Tools.Run("setcap", "cap_setuid,cap_net_raw+ep", ping);
        Xattrs.Set(ping, "user.comment", [0xff, 0x00, 0xc3, 0x28]);
        byte[] capability = Xattrs.Get(ping, "security.capability")!;
        Assert.Contains((byte)0x80, capability);
        string archive = _temp.Combine("caps.tar");
        Tools.Run("tar", "--xattrs", "--xattrs-include=*", "--format=posix", "-C", source, "-cf", archive, "ping");

        string root = Extract(File.ReadAllBytes(archive));
        Assert.Equal(capability, Xattrs.Get(Path.Combine(root, "ping"), "security.capability"));
        Assert.Equal([0xff, 0x00, 0xc3, 0x28], Xattrs.Get(Path.Combine(root, "ping"), "user.comment"));

        byte[] hostile = new TarBuilder()
            .Directory("d/")
            .File("f", "x", pax: new() { ["SCHILY.xattr.trusted.overlay.redirect"] = "/etc", ["SCHILY.xattr.user.ok"] = "1" })
            .Build();
        string second = Extract(hostile);
        Assert.Null(Xattrs.Get(Path.Combine(second, "f"), "trusted.overlay.redirect"));
        Assert.Equal("1"u8.ToArray(), Xattrs.Get(Path.Combine(second, "f"), "user.ok"));
    }

    [Fact]
    public void Sparse_files_from_gnu_tar_are_expanded_with_holes()
    {
        string source = _temp.CreateDirectory("sparse-src");
        string file = Path.Combine(source, "disk.img");
        using (FileStream stream = new(file, FileMode.Create))
        {
            stream.SetLength(64 * 1024 * 1024);
            stream.Position = 1024 * 1024;
            stream.Write("middle"u8);
            stream.Position = 64 * 1024 * 1024 - 4;
            stream.Write("end!"u8);
        }
        string archive = _temp.Combine("sparse.tar");
        Tools.Run("tar", "--sparse", "--sparse-version=1.0", "--format=posix", "-C", source, "-cf", archive, "disk.img");
        Assert.True(new FileInfo(archive).Length < 1024 * 1024, "GNU tar stored the file sparsely");

        string root = Extract(File.ReadAllBytes(archive));
        string extracted = Path.Combine(root, "disk.img");
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(extracted));
        Interop.Libc.FstatAt(FileFlags.AT_FDCWD, extracted, out Interop.StatBuffer stat, 0);
        Assert.True(stat.Blocks * 512 < 1024 * 1024, $"extracted file allocates {stat.Blocks * 512} bytes");

        // Zeros that were stored as data become holes too.
        byte[] zeros = new byte[8 * 1024 * 1024];
        zeros[^1] = 1;
        string plain = Extract(new TarBuilder().File("zeros", zeros).Build());
        Interop.Libc.FstatAt(FileFlags.AT_FDCWD, Path.Combine(plain, "zeros"), out Interop.StatBuffer zeroStat, 0);
        Assert.Equal(zeros.Length, zeroStat.Size);
        Assert.True(zeroStat.Blocks * 512 <= 64 * 1024, $"zero file allocates {zeroStat.Blocks * 512} bytes");
        Assert.Equal(zeros, File.ReadAllBytes(Path.Combine(plain, "zeros")));
    }

    [Fact]
    public void Later_entries_replace_earlier_ones()
    {
        byte[] tar = new TarBuilder()
            .File("a", "file first")
            .Directory("a/")
            .File("a/inside", "x")
            .Directory("b/")
            .File("b/child", "gone")
            .File("b", "file replaces dir")
            .File("c", "one")
            .File("c", "two")
            .Build();
        string root = Extract(tar);
        Assert.True(Directory.Exists(Path.Combine(root, "a")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(root, "a/inside")));
        Assert.Equal("file replaces dir", File.ReadAllText(Path.Combine(root, "b")));
        Assert.Equal("two", File.ReadAllText(Path.Combine(root, "c")));
    }

    [Fact]
    public void Implied_directories_take_attributes_from_the_lower_layer()
    {
        string lower = Extract(new TarBuilder().Directory("srv/", (UnixFileMode)0x1e8, uid: 33, gid: 33).Build());
        string upper = Extract(new TarBuilder().File("srv/www/index.html", "hi").Build(), lower);
        Assert.StartsWith("dir mode=750 uid=33 gid=33", TreeState.Describe(Path.Combine(upper, "srv")));
        Assert.StartsWith("dir mode=755 uid=0 gid=0", TreeState.Describe(Path.Combine(upper, "srv/www")));
    }

    [Fact]
    public void A_corrupt_archive_is_an_image_error()
    {
        byte[] tar = new TarBuilder().File("big", new byte[100_000]).Build();
        byte[] truncated = tar[..20_000];
        ImageException error = Assert.Throws<ImageException>(() => Extract(truncated));
        Assert.Contains("big", error.Message + error.InnerException?.Message);
    }

    public void Dispose() => _temp.Dispose();
}
