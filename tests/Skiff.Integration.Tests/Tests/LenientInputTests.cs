using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>Input runc accepts with at most a warning, and so must skiff-runc.</summary>
[Collection(ContainerCollection.Name)]
public sealed class LenientInputTests(Suite suite)
{
    [Fact]
    public void A_device_outside_dev_is_made_inside_the_rootfs()
    {
        using var c = new TestContainer(suite);
        c.Linux.Devices = [new LinuxDevice { Path = "/foo-dev", Type = "c", Major = 1, Minor = 3, FileMode = 438 }];
        c.Shell("stat -c '%F %t:%T' /foo-dev; echo x > /foo-dev && echo writable");

        Assert.Equal("character special file 1:3\nwritable\n", c.Output());
        Assert.False(File.Exists("/foo-dev"), "the device was made on the host");
    }

    [Fact]
    public void Exec_with_an_unknown_capability_warns_and_runs()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        var exec = c.Cli.Invoke("exec", "--cap", "CAP_NO_SUCH_THING", c.Id, "sh", "-c", "echo ran").AssertSuccess();

        Assert.Equal("ran\n", exec.Stdout);
        Assert.Contains("CAP_NO_SUCH_THING", exec.Stderr);
    }
}
