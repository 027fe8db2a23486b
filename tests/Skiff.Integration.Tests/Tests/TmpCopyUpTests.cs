using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>runc's "tmpcopyup" mount option: a tmpfs that starts with what the image had at its destination.</summary>
[Collection(ContainerCollection.Name)]
public sealed class TmpCopyUpTests(Suite suite)
{
    [Theory]
    [InlineData("rw")]
    [InlineData("ro")]
    public void A_tmpcopyup_tmpfs_holds_the_images_files_with_their_modes_and_owners(string access)
    {
        using var c = new TestContainer(suite);
        string data = Path.Combine(c.Rootfs, "data");
        Directory.CreateDirectory(Path.Combine(data, "sub"));
        File.WriteAllText(Path.Combine(data, "sub", "file"), "from the image\n");
        File.SetUnixFileMode(Path.Combine(data, "sub", "file"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.CreateSymbolicLink(Path.Combine(data, "link"), "sub/file");
        HostCommand.Run("/bin/chown", "-h", "1234:5678", Path.Combine(data, "sub", "file"));
        c.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "tmpfs", Source = "tmpfs", Options = ["tmpcopyup", access, "mode=755"] });
        c.Shell("stat -f -c %T /data; cat /data/link; stat -c '%a %u:%g' /data/sub/file; readlink /data/link; " +
                "touch /data/new 2>/dev/null && echo writable || echo read-only");

        string[] lines = c.Output().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["tmpfs", "from the image", "645 1234:5678", "sub/file", access == "rw" ? "writable" : "read-only"], lines);
        Assert.False(File.Exists(Path.Combine(data, "new")), "a write reached the image's directory");
    }
}
