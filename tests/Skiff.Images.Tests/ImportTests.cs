using Skiff.Images.Oci;
using Skiff.Images.Store;
using Skiff.Images.Tests.Support;
using Skiff.Images.Transfer;

namespace Skiff.Images.Tests;

public sealed class ImportTests : IDisposable
{
    private readonly TestStore _store = new();

    [Fact]
    public void Import_makes_a_one_layer_image_with_the_changes_applied()
    {
        byte[] rootfs = TestImages.BusyboxRootfs();
        string archive = _store.Directory.Combine("rootfs.tar.zst");
        File.WriteAllBytes(archive, OciLayoutBuilder.Zstd(rootfs));
        ImageRecord image;
        using (FileStream file = File.OpenRead(archive))
            image = _store.Service.Import(file, "example/imported:1", new ImportOptions
            {
                Changes = ["CMD [\"echo\", \"hi\"]", "ENV A=1 B=\"two words\"", "WORKDIR /srv", "USER nobody", "EXPOSE 80 53/udp", "LABEL team=images", "ENTRYPOINT /bin/sh -c"],
                Source = archive,
            });
        ImageConfig config = _store.Service.Stores.ReadConfig(image);
        Assert.Equal(["echo", "hi"], config.Config!.Cmd);
        Assert.Equal(["A=1", "B=two words"], config.Config.Env);
        Assert.Equal("/srv", config.Config.WorkingDir);
        Assert.Equal("nobody", config.Config.User);
        Assert.Equal(["53/udp", "80/tcp"], config.Config.ExposedPorts!.Keys.Order());
        Assert.Equal("images", config.Config.Labels!["team"]);
        Assert.Equal(["/bin/sh", "-c", "/bin/sh -c"], config.Config.Entrypoint);
        Assert.Equal($"Imported from {archive}", config.History![0].Comment);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(rootfs)), config.RootFs.DiffIds[0]);
        Assert.Contains("docker.io/example/imported:1", image.RepoTags);
        Assert.StartsWith("root:x:0:0", File.ReadAllText(Path.Combine(_store.Service.GetRootfs("example/imported:1").LowerDirectories[0], "etc/passwd")));

        ImageException bad = Assert.Throws<ImageException>(() => _store.Service.Import(new MemoryStream(rootfs), "x:y",
            new ImportOptions { Changes = ["RUN rm -rf /"] }));
        Assert.Contains("RUN is not a valid change command", bad.Message);
        Assert.Throws<ImageException>(() => _store.Service.Import(new MemoryStream([]), null, new ImportOptions()));
    }

    [Fact]
    public void Builtin_busybox_image_is_reproducible_and_complete()
    {
        ImageRecord first = _store.Service.ImportBusybox();
        ImageRecord second = _store.Service.ImportBusybox();
        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Single(_store.Service.Catalog.List());
        Assert.Equal(["docker.io/library/busybox:latest"], second.RepoTags);

        using TestStore other = new();
        Assert.Equal(first.ManifestDigest, other.Service.ImportBusybox().ManifestDigest);

        SortedDictionary<string, string> tree = _store.MergedTree("busybox");
        Assert.StartsWith("file mode=755", tree["bin/busybox"]);
        Assert.Equal(tree["bin/busybox"], tree["bin/sh"]);
        Assert.Contains("sbin/ifconfig", tree.Keys);
        Assert.StartsWith("dir mode=1777", tree["tmp"]);
        ImageConfig config = _store.Service.Stores.ReadConfig(second);
        Assert.Equal(["sh"], config.Config!.Cmd);
        Assert.Equal(PlatformMatcher.Host.Architecture, config.Architecture);
        string sh = Path.Combine(_store.Service.GetRootfs("busybox").LowerDirectories[0], "bin/sh");
        Assert.Equal("hello\n", Tools.Run(sh, "-c", "echo hello"));
    }

    public void Dispose() => _store.Dispose();
}
