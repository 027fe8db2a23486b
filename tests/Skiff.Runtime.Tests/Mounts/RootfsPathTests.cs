using Skiff.Runtime.Mounts;

namespace Skiff.Runtime.Tests.Mounts;

/// <summary>
/// A mount destination resolved the way the container sees its rootfs: links followed, but nothing,
/// absolute or "..", ever leads out of the rootfs (CVE-2021-30465). Each case builds a real tree.
/// </summary>
public sealed class RootfsPathTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("skiff-rootfs-path-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Link(string at, string target)
    {
        string path = Path.Combine(_root, at);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
    }

    [Theory]
    [InlineData("/", ".")]
    [InlineData("/a/b/c", "a/b/c")]
    [InlineData("a//b/./c/", "a/b/c")]
    [InlineData("/../../etc", "etc")]
    [InlineData("/a/../../../b", "b")]
    public void Plain_paths_are_clamped_to_the_root(string path, string resolved)
    {
        Assert.Equal(resolved, RootfsPath.Resolve(_root, path));
        Assert.Equal(resolved, RootfsPath.Clean(path));
    }

    [Fact]
    public void An_absolute_link_restarts_at_the_rootfs_not_the_host()
    {
        Link("escape", "/etc");
        Assert.Equal("etc/mnt", RootfsPath.Resolve(_root, "/escape/mnt"));
    }

    [Fact]
    public void A_relative_link_climbing_past_the_root_stops_there()
    {
        Directory.CreateDirectory(Path.Combine(_root, "a"));
        Link("a/up", "../../../../../../tmp");
        Assert.Equal("tmp/x", RootfsPath.Resolve(_root, "/a/up/x"));
    }

    [Fact]
    public void Links_chain_and_the_last_component_is_followed_too()
    {
        Link("one", "two");
        Link("two", "/three/four");
        Assert.Equal("three/four", RootfsPath.Resolve(_root, "/one"));
    }

    [Fact]
    public void A_link_loop_is_refused_by_name()
    {
        Link("loop", "/loop");
        var e = Assert.Throws<RuntimeException>(() => RootfsPath.Resolve(_root, "/loop/x"));
        Assert.Contains("too many levels of symbolic links", e.Message);
    }
}
