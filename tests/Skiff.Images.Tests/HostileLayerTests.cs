using System.Formats.Tar;
using Skiff.Images.Archive;
using Skiff.Images.Tests.Support;

namespace Skiff.Images.Tests;

/// <summary>
/// Crafted layers for every escape class: each one is extracted next to a sentinel directory and
/// must leave it (and the directory holding both) exactly as it was, whether extraction succeeds
/// with everything confined or aborts.
/// </summary>
public sealed class HostileLayerTests : IDisposable
{
    private readonly TempDirectory _temp = new("skiff-hostile");
    private readonly string _sentinel;
    private readonly string _snapshot;

    public HostileLayerTests()
    {
        _sentinel = _temp.CreateDirectory("sentinel");
        File.WriteAllText(Path.Combine(_sentinel, "canary"), "untouched");
        Directory.CreateDirectory(Path.Combine(_sentinel, "sub"));
        File.WriteAllText(Path.Combine(_sentinel, "sub", "deep"), "untouched too");
        _snapshot = _temp.CreateDirectory("snapshot");
    }

    public static TheoryData<string> Cases => new()
    {
        "dotdot-file", "dotdot-deep", "absolute-path", "pax-path-escape", "sparse-name-escape",
        "relative-symlink-then-write", "absolute-symlink-then-write", "symlink-to-file-then-overwrite",
        "symlink-dir-then-mkdir-chmod", "symlink-chain-loop", "dir-replaced-by-symlink-mid-layer",
        "hardlink-dotdot", "hardlink-absolute", "hardlink-through-symlink", "hardlink-to-symlink-then-write",
        "device-above-root", "whiteout-above-root", "whiteout-through-symlink", "opaque-through-symlink",
        "whiteout-dotdot-name", "root-entry-as-symlink", "nul-in-name",
    };

    private byte[] Craft(string name)
    {
        string outside = _sentinel;
        return name switch
        {
            "dotdot-file" => new TarBuilder().File("../sentinel/canary", "pwned").File("../sentinel/new", "pwned").Build(),
            "dotdot-deep" => new TarBuilder().File("a/b/../../../../../../" + outside.TrimStart('/') + "/canary", "pwned").Build(),
            "absolute-path" => new TarBuilder().File(outside + "/canary", "pwned").Directory(outside + "/sub/").Build(),
            "pax-path-escape" => new TarBuilder().File("innocent", "pwned", pax: new() { ["path"] = "../sentinel/canary" }).Build(),
            "sparse-name-escape" => new TarBuilder().File("GNUSparseFile.0/x", "1\n0\n5\n" + new string('\0', 506) + "pwned", pax: new()
            {
                ["GNU.sparse.major"] = "1", ["GNU.sparse.minor"] = "0", ["GNU.sparse.name"] = "../sentinel/canary", ["GNU.sparse.realsize"] = "5",
            }).Build(),
            "relative-symlink-then-write" => new TarBuilder().Symlink("link", "../sentinel").File("link/canary", "pwned").File("link/sub/deep", "pwned").Build(),
            "absolute-symlink-then-write" => new TarBuilder().Symlink("link", outside).File("link/canary", "pwned").Build(),
            "symlink-to-file-then-overwrite" => new TarBuilder().Symlink("evil", outside + "/canary").File("evil", "pwned").Build(),
            "symlink-dir-then-mkdir-chmod" => new TarBuilder().Symlink("s", outside).Directory("s/", (UnixFileMode)0x1ff, uid: 1234).Directory("s/sub/", (UnixFileMode)0x1ff).Build(),
            "symlink-chain-loop" => new TarBuilder().Symlink("a", "b").Symlink("b", "a").File("a/x", "pwned").Build(),
            "dir-replaced-by-symlink-mid-layer" => new TarBuilder().Directory("d/").File("d/f", "ok").Symlink("d", outside).File("d/g", "pwned").File("d/canary", "pwned").Build(),
            "hardlink-dotdot" => new TarBuilder().HardLink("h", "../sentinel/canary").File("h", "pwned").Build(),
            "hardlink-absolute" => new TarBuilder().HardLink("h", outside + "/canary").Build(),
            "hardlink-through-symlink" => new TarBuilder().Symlink("d", outside).HardLink("h", "d/canary").Build(),
            "hardlink-to-symlink-then-write" => new TarBuilder().Symlink("s", outside + "/canary").HardLink("h", "s").File("h", "pwned").File("s", "pwned").Build(),
            "device-above-root" => new TarBuilder().Device("../sentinel/dev", TarEntryType.CharacterDevice, 1, 3).Device("../sentinel/canary", TarEntryType.BlockDevice, 8, 0).Build(),
            "whiteout-above-root" => new TarBuilder().File("../.wh.sentinel", "").File("../../.wh.tmp", "").File("../sentinel/.wh.canary", "").Build(),
            "whiteout-through-symlink" => new TarBuilder().Symlink("s", outside).File("s/.wh.canary", "").Build(),
            "opaque-through-symlink" => new TarBuilder().Symlink("s", outside).File("s/.wh..wh..opq", "").Build(),
            "whiteout-dotdot-name" => new TarBuilder().File("x/.wh..", "").Build(),
            "root-entry-as-symlink" => new TarBuilder().Symlink("./", outside).File("canary", "pwned").Build(),
            "nul-in-name" => new TarBuilder().File("ok", "x", pax: new() { ["path"] = "../sentinel/canary\0.txt" }).Build(),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sentinel_outside_the_snapshot_is_untouched(string name)
    {
        byte[] tar = Craft(name);
        SortedDictionary<string, string> sentinelBefore = TreeState.Capture(_sentinel);
        string[] neighboursBefore = Neighbours();

        Exception? failure = Record.Exception(() =>
        {
            using LayerExtractor extractor = new(_snapshot);
            extractor.Extract(new MemoryStream(tar));
        });

        // Aborting is fine, but only as a clean image error, never a crash of another kind.
        Assert.True(failure is null or ImageException, $"{name}: {failure}");
        Assert.Equal(sentinelBefore, TreeState.Capture(_sentinel));
        Assert.Equal(neighboursBefore, Neighbours());
        AssertConfined(_snapshot);
    }

    [Fact]
    public void Escapes_that_succeed_land_inside_the_snapshot()
    {
        using (LayerExtractor extractor = new(_snapshot))
            extractor.Extract(new MemoryStream(Craft("dotdot-file")));
        Assert.Equal("pwned", File.ReadAllText(Path.Combine(_snapshot, "sentinel/canary")));

        // A symlink parent resolves inside the snapshot: "link" -> "/dir" reaches the snapshot's own dir.
        string second = _temp.CreateDirectory("snapshot2");
        byte[] tar = new TarBuilder().Directory("target/").Symlink("link", "/target").Symlink("up", "../../../target").File("link/a", "1").File("up/b", "2").Build();
        using (LayerExtractor extractor = new(second))
            extractor.Extract(new MemoryStream(tar));
        Assert.Equal("1", File.ReadAllText(Path.Combine(second, "target/a")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(second, "target/b")));
    }

    private string[] Neighbours() => [.. Directory.EnumerateFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order()!];

    /// <summary>Nothing in the snapshot is a hard link to a file outside it.</summary>
    private void AssertConfined(string root)
    {
        Skiff.Linux.Interop.Libc.FstatAt(Skiff.Linux.FileFlags.AT_FDCWD, Path.Combine(_sentinel, "canary"), out Skiff.Linux.Interop.StatBuffer canary, 0);
        Assert.Equal(1UL, canary.LinkCount);
    }

    public void Dispose() => _temp.Dispose();
}
