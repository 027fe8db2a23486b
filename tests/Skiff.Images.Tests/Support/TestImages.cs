using System.Formats.Tar;
using Skiff.Images.Archive;

namespace Skiff.Images.Tests.Support;

/// <summary>The layers test images are made of: a busybox userland from busybox-static, and changes on it.</summary>
public static class TestImages
{
    public static readonly string[] Applets = ["sh", "ls", "cat", "echo", "true", "false", "env", "id", "sleep", "mkdir", "rm", "stat"];

    public static byte[] BusyboxRootfs()
    {
        TarBuilder tar = new TarBuilder()
            .Directory("bin/").Directory("etc/").Directory("tmp/", (UnixFileMode)0x3ff).Directory("root/", (UnixFileMode)0x1c0)
            .Directory("usr/").Directory("usr/share/").Directory("var/").Directory("var/cache/").Directory("var/cache/apt/")
            .File("bin/busybox", File.ReadAllBytes("/bin/busybox"), (UnixFileMode)0x1ed)
            .File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
            .File("etc/group", "root:x:0:\nnogroup:x:65534:\n")
            .File("etc/motd", "welcome\n")
            .File("var/cache/apt/pkgcache.bin", new byte[4096])
            .File("usr/share/doc", "docs\n");
        foreach (string applet in Applets) tar.HardLink("bin/" + applet, "bin/busybox");
        return tar.Build();
    }

    /// <summary>A second layer: adds files and a symlink, deletes /etc/motd, makes /var/cache opaque.</summary>
    public static byte[] ChangesLayer() => new TarBuilder()
        .Directory("etc/")
        .File("etc/.wh.motd", "")
        .File("etc/hostname", "skiff\n")
        .Directory("var/").Directory("var/cache/", (UnixFileMode)0x1c0)
        .File("var/cache/.wh..wh..opq", "")
        .File("var/cache/new", "fresh cache\n")
        .Directory("opt/")
        .Directory("opt/app/", (UnixFileMode)0x1ed, uid: 1000, gid: 1000)
        .File("opt/app/run.sh", "#!/bin/sh\necho app\n", (UnixFileMode)0x1ed, uid: 1000, gid: 1000)
        .Symlink("opt/current", "app")
        .Build();

    /// <summary>A third layer: removes a whole directory from the first and re-adds a file under a deleted one.</summary>
    public static byte[] ThirdLayer() => new TarBuilder()
        .Directory("usr/")
        .File("usr/.wh.share", "")
        .Directory("etc/")
        .File("etc/hostname", "replaced\n")
        .Fifo("etc/fifo-device")
        .Build();

    public static byte[] SmallLayer(string name, int size, int seed)
    {
        byte[] data = new byte[size];
        new Random(seed).NextBytes(data);
        return new TarBuilder().Directory("data/").File("data/" + name, data).Build();
    }

    public static LayerCompression[] Compressions => [LayerCompression.Gzip, LayerCompression.Zstd, LayerCompression.None];
}
