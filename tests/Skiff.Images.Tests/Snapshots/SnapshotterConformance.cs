using System.Runtime.InteropServices;
using System.Text;
using Skiff.Images.Mounts;
using Skiff.Images.Oci;
using Skiff.Images.Tests.Support;

namespace Skiff.Images.Tests.Snapshots;

/// <summary>
/// What every <see cref="ISnapshotter"/> must do, written once (containerd's snapshots/testsuite
/// is the model) and run against each implementation by a subclass that makes it. Layers are real
/// tar streams, containers' snapshots are really mounted and written through.
/// </summary>
public abstract partial class SnapshotterConformance : IDisposable
{
    protected TempDirectory Scratch { get; } = new("skiff-snapshotter");

    protected abstract ISnapshotter Snapshotter { get; }

    /// <summary>A layer committed on <paramref name="parent"/> (null: the bottom one); its key is the chain id.</summary>
    protected string CommitLayer(string? parent, byte[] tar)
    {
        Digest diffId = Digest.Sha256(tar);
        Digest chainId = parent is null ? diffId : Digest.Sha256(Encoding.ASCII.GetBytes($"{parent} {diffId}"));
        List<Digest> parents = [];
        for (string? key = parent; key is not null; key = Snapshotter.Stat(key)!.Parent) parents.Add(Digest.Parse(key));
        Assert.True(Snapshotter.Commit(chainId, diffId, parents, () => new MemoryStream(tar)));
        return chainId.ToString();
    }

    private static byte[] Base() => new TarBuilder()
        .Directory("etc/").File("etc/hostname", "base\n").File("etc/motd", "welcome\n")
        .Directory("data/").File("data/keep", "kept\n").File("data/big", new byte[10_000])
        .Build();

    private static byte[] Change() => new TarBuilder()
        .Directory("etc/").File("etc/.wh.motd", "").File("etc/hostname", "changed\n")
        .Build();

    private void Mounted(OverlayMount mount, Action<string> use)
    {
        string target = Scratch.CreateDirectory("mnt-" + Guid.NewGuid().ToString("N")[..8]);
        mount.Mount(target);
        try
        {
            use(target);
        }
        finally
        {
            OverlayMount.Unmount(target);
        }
    }

    [Fact]
    public void Committed_snapshots_stat_with_their_parent_and_commit_once()
    {
        string bottom = CommitLayer(null, Base());
        string top = CommitLayer(bottom, Change());

        Assert.Equal(new Snapshot(bottom, SnapshotKind.Committed, null), Snapshotter.Stat(bottom));
        Assert.Equal(new Snapshot(top, SnapshotKind.Committed, bottom), Snapshotter.Stat(top));
        Assert.False(Snapshotter.Commit(Digest.Parse(bottom), Digest.Parse(bottom), [], () => throw new InvalidOperationException("a committed snapshot is never unpacked again")));
        Assert.Null(Snapshotter.Stat("sha256:" + new string('0', 64)));
        Assert.Null(Snapshotter.Stat("no-such-container"));
    }

    [Fact]
    public void A_layer_whose_content_is_not_its_diff_id_is_refused_and_leaves_nothing()
    {
        byte[] tar = Base();
        Digest lie = Digest.Sha256(Encoding.ASCII.GetBytes("something else"));
        ImageException error = Assert.Throws<ImageException>(() => Snapshotter.Commit(lie, lie, [], () => new MemoryStream(tar)));
        Assert.Contains("diff_id mismatch", error.Message);
        Assert.Null(Snapshotter.Stat(lie.ToString()));
        Assert.Empty(Snapshotter.Walk());
    }

    [Fact]
    public void Active_snapshot_mounts_its_parents_writable_and_keeps_writes_to_itself()
    {
        string bottom = CommitLayer(null, Base());
        string top = CommitLayer(bottom, Change());
        OverlayMount one = Snapshotter.Prepare("one", top, "sha256:image");
        Assert.Equal(new Snapshot("one", SnapshotKind.Active, top, "sha256:image"), Snapshotter.Stat("one"));

        Mounted(one, root =>
        {
            Assert.Equal("changed\n", File.ReadAllText(Path.Combine(root, "etc/hostname")));
            Assert.False(File.Exists(Path.Combine(root, "etc/motd")));   // the upper layer's whiteout
            Assert.Equal("kept\n", File.ReadAllText(Path.Combine(root, "data/keep")));
            File.WriteAllText(Path.Combine(root, "etc/hostname"), "one\n");
            File.Delete(Path.Combine(root, "data/keep"));
            Directory.Delete(Path.Combine(root, "etc"), recursive: true);
            File.Move(Path.Combine(root, "data/big"), Path.Combine(root, "moved"));
        });

        // A sibling on the same parent, and the parents themselves, see none of it.
        OverlayMount two = Snapshotter.Prepare("two", top, "sha256:image");
        Mounted(two, root =>
        {
            Assert.Equal("changed\n", File.ReadAllText(Path.Combine(root, "etc/hostname")));
            Assert.True(File.Exists(Path.Combine(root, "data/keep")));
            Assert.True(File.Exists(Path.Combine(root, "data/big")));
            Assert.False(File.Exists(Path.Combine(root, "moved")));
        });
        // Prepare again reopens the snapshot as it was left: a container's layer outlives its runs.
        Mounted(Snapshotter.Prepare("one", top, "sha256:image"), root =>
        {
            Assert.False(Directory.Exists(Path.Combine(root, "etc")));
            Assert.False(File.Exists(Path.Combine(root, "data/keep")));
            Assert.Equal(10_000, new FileInfo(Path.Combine(root, "moved")).Length);
        });
    }

    [Fact]
    public void Active_snapshot_without_a_parent_mounts_empty()
    {
        Mounted(Snapshotter.Prepare("scratch", null, "sha256:empty"), root =>
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(root));
            File.WriteAllText(Path.Combine(root, "first"), "x");
        });
        Assert.Equal(new Snapshot("scratch", SnapshotKind.Active, null, "sha256:empty"), Snapshotter.Stat("scratch"));
    }

    [Fact]
    public void Prepare_on_a_missing_parent_or_with_a_bad_key_fails_and_makes_nothing()
    {
        string missing = "sha256:" + new string('1', 64);
        ImageException noParent = Assert.Throws<ImageException>(() => Snapshotter.Prepare("orphan", missing, "sha256:image"));
        Assert.Contains(missing, noParent.Message);
        Assert.Null(Snapshotter.Stat("orphan"));

        string bottom = CommitLayer(null, Base());
        foreach (string bad in (string[])["../escape", "a/b", "", ".hidden", new string('x', 200)])
        {
            ImageException refused = Assert.Throws<ImageException>(() => Snapshotter.Prepare(bad, bottom, "sha256:image"));
            Assert.Contains("invalid id", refused.Message);
        }
        Assert.Equal([bottom], Snapshotter.Walk().Select(s => s.Key));
    }

    [Fact]
    public void Usage_counts_what_each_snapshot_holds_itself()
    {
        string bottom = CommitLayer(null, Base());
        string top = CommitLayer(bottom, Change());
        Assert.Equal("base\nwelcome\nkept\n".Length + 10_000, Snapshotter.Usage(bottom));
        Assert.Equal("changed\n".Length, Snapshotter.Usage(top));

        OverlayMount container = Snapshotter.Prepare("c", top, "sha256:image");
        Assert.Equal(0, Snapshotter.Usage("c"));
        Mounted(container, root =>
        {
            File.WriteAllBytes(Path.Combine(root, "written"), new byte[4321]);
            File.CreateSymbolicLink(Path.Combine(root, "link"), "/data/big");
        });
        Assert.Equal(4321, Snapshotter.Usage("c"));
        Assert.Throws<ImageNotFoundException>(() => Snapshotter.Usage("gone"));
    }

    [Fact]
    public void Walk_lists_every_snapshot_as_stat_sees_it_and_remove_takes_each_away()
    {
        string bottom = CommitLayer(null, Base());
        string top = CommitLayer(bottom, Change());
        Snapshotter.Prepare("c1", top, "sha256:image");
        Snapshotter.Prepare("c2", bottom, "sha256:other");

        List<Snapshot> all = [.. Snapshotter.Walk()];
        Assert.Equal(new[] { "c1", "c2", bottom, top }.Order(StringComparer.Ordinal), all.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.All(all, snapshot => Assert.Equal(snapshot, Snapshotter.Stat(snapshot.Key)));

        Snapshotter.Remove("c1");
        Assert.Null(Snapshotter.Stat("c1"));
        Assert.NotNull(Snapshotter.Stat(top));   // an active snapshot's removal leaves its parents
        Snapshotter.Remove(top);
        Assert.Null(Snapshotter.Stat(top));
        Snapshotter.Remove(top);                 // removing what is gone is no error
        Snapshotter.Remove("never-was");
        Assert.Equal(["c2", bottom], Snapshotter.Walk().Select(s => s.Key).Order(StringComparer.Ordinal).ToArray());
        Mounted(Snapshotter.Prepare("c2", bottom, "sha256:other"), root =>
            Assert.Equal("welcome\n", File.ReadAllText(Path.Combine(root, "etc/motd"))));
    }

    [Fact]
    public void A_container_on_128_layers_sees_each_of_them()
    {
        string? parent = null;
        for (int i = 0; i < 128; i++)
            parent = CommitLayer(parent, new TarBuilder().Directory("layers/").File($"layers/{i:D3}", i.ToString()).Build());
        Mounted(Snapshotter.Prepare("deep", parent, "sha256:deep"), root =>
        {
            Assert.Equal(128, Directory.GetFiles(Path.Combine(root, "layers")).Length);
            Assert.Equal("0", File.ReadAllText(Path.Combine(root, "layers/000")));
        });
    }

    [Fact]
    public void Containers_get_no_redirects_and_no_metacopy_whatever_the_host_default()
    {
        string bottom = CommitLayer(null, Base());
        OverlayMount container = Snapshotter.Prepare("untrusted", bottom, "sha256:image");
        Assert.Contains("redirect_dir=off", container.Options);
        Assert.Contains("metacopy=off", container.Options);
        Mounted(container, root =>
        {
            // What the kernel made of the mount: options it shows, or else the module's default.
            string options = File.ReadLines("/proc/self/mountinfo").Select(line => line.Split(' '))
                .Single(fields => fields[4] == root)[^1];
            Assert.Equal("off", Effective(options, "redirect_dir"));
            Assert.Equal("off", Effective(options, "metacopy"));

            // A directory of a lower layer cannot be renamed (no redirect xattr records it) ...
            Assert.Equal(-1, Rename(Path.Combine(root, "data"), Path.Combine(root, "renamed")));
            Assert.Equal(Skiff.Linux.Errno.EXDEV, Marshal.GetLastPInvokeError());
            // ... and a metadata change copies the file's data up with it.
            File.SetUnixFileMode(Path.Combine(root, "data/big"), (UnixFileMode)0x180);
        });
        string upper = container.UpperDirectory!;
        Assert.Equal(10_000, new FileInfo(Path.Combine(upper, "data/big")).Length);
        Assert.Null(Xattrs.Get(Path.Combine(upper, "data/big"), "trusted.overlay.metacopy"));
        Assert.False(Directory.Exists(Path.Combine(upper, "renamed")));
    }

    /// <summary>overlayfs shows an option only where it differs from the module parameter.</summary>
    private static string Effective(string superOptions, string option)
    {
        foreach (string one in superOptions.Split(','))
            if (one.StartsWith(option + "=", StringComparison.Ordinal)) return one[(option.Length + 1)..];
        string fallback = File.ReadAllText($"/sys/module/overlay/parameters/{option}").Trim();
        return fallback is "N" or "off" ? "off" : "on";
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string from, string to);

    public virtual void Dispose() => Scratch.Dispose();
}
