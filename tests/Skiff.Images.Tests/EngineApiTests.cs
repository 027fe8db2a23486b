using Skiff.Images.Mounts;
using Skiff.Images.Oci;
using Skiff.Images.Store;
using Skiff.Images.Tests.Support;

namespace Skiff.Images.Tests;

/// <summary>What the engine calls: an image's rootfs plan, and a container's writable overlay on it.</summary>
[Collection("registry")]
public sealed class EngineApiTests(RegistryFixture fixture) : IDisposable
{
    private readonly TestStore _store = new();

    [Fact]
    public async Task Container_layer_mounts_read_write_over_the_image_and_keeps_it_alive()
    {
        string image = fixture.Reference("whiteouts");
        await _store.Service.PullAsync(image);
        ImageRootfs rootfs = _store.Service.GetRootfs(image);
        Assert.Equal(["sh"], rootfs.Config.Config!.Cmd);
        Assert.Equal("/", rootfs.Config.Config.WorkingDir);
        Assert.Equal(3, rootfs.LowerDirectories.Count);
        Assert.All(rootfs.LowerDirectories, directory => Assert.True(Directory.Exists(directory)));

        OverlayMount mount = _store.Service.PrepareContainer("c1", image);
        Assert.Equal(rootfs.LowerDirectories, mount.LowerDirectories);
        Assert.Contains(mount.Options, o => o.StartsWith("upperdir=", StringComparison.Ordinal));
        Skiff.Oci.Runtime.Mount oci = mount.ToOciMount("/");
        Assert.Equal("overlay", oci.Type);

        string target = _store.Directory.CreateDirectory("rootfs");
        mount.Mount(target);
        try
        {
            Assert.Equal("replaced\n", File.ReadAllText(Path.Combine(target, "etc/hostname")));
            Assert.False(File.Exists(Path.Combine(target, "etc/motd")));
            File.WriteAllText(Path.Combine(target, "etc/new"), "written by the container");
            File.Delete(Path.Combine(target, "etc/passwd"));
            Assert.Equal("hello\n", Tools.Run("chroot", target, "/bin/sh", "-c", "echo hello"));
        }
        finally
        {
            OverlayMount.Unmount(target);
        }
        // Writes went to the container's upper directory; the image's snapshots are unchanged.
        Assert.Equal("written by the container", File.ReadAllText(Path.Combine(mount.UpperDirectory!, "etc/new")));
        Assert.StartsWith("char", TreeState.Describe(Path.Combine(mount.UpperDirectory!, "etc/passwd")));
        Assert.True(File.Exists(Path.Combine(rootfs.LowerDirectories[^1], "etc/passwd")));

        // The image cannot be deleted from under the container, and its snapshots survive collection.
        ImageException inUse = Assert.Throws<ImageException>(() => _store.Service.Remove(rootfs.Image.Id, force: false));
        Assert.Contains("container c1", inUse.Message);
        _store.Service.Remove(image, force: true);
        _store.Service.CollectGarbage();
        Assert.All(rootfs.LowerDirectories, directory => Assert.True(Directory.Exists(directory)));

        _store.Service.RemoveContainer("c1");
        _store.Service.Prune(all: true);
        Assert.Empty(_store.Service.Stores.Snapshotter.Walk());
        _store.Service.ImportBusybox();
        ImageException invalid = Assert.Throws<ImageException>(() => _store.Service.PrepareContainer("../escape", "busybox"));
        Assert.Contains("invalid id", invalid.Message);
    }

    [Fact]
    public void Overlay_with_a_hundred_layers_mounts_through_the_new_mount_api()
    {
        // 100 lower directories with long paths exceed mount(2)'s one page of options.
        List<string> lowers = [];
        for (int i = 0; i < 100; i++)
        {
            string directory = _store.Directory.CreateDirectory("layers", new string('l', 40) + i.ToString("D3"));
            File.WriteAllText(Path.Combine(directory, $"file{i}"), i.ToString());
            lowers.Add(directory);
        }
        Assert.True(string.Join(',', new OverlayMount(lowers).Options).Length > 4096);
        string target = _store.Directory.CreateDirectory("many");
        new OverlayMount(lowers).Mount(target);
        try
        {
            Assert.Equal(100, Directory.GetFiles(target).Length);
            Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(target, "x"), "read-only"));
        }
        finally
        {
            OverlayMount.Unmount(target);
        }
    }

    public void Dispose() => _store.Dispose();
}
