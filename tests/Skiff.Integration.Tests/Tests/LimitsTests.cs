using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>Strings at and past the kernel's bounds reach the child's fixed buffers intact, or are refused by name.</summary>
[Collection(ContainerCollection.Name)]
public sealed class LimitsTests(Suite suite)
{
    [Fact]
    public void A_device_name_longer_than_NAME_MAX_is_refused_by_field()
    {
        using var c = new TestContainer(suite);
        c.Linux.Devices = [new LinuxDevice { Path = "/dev/" + new string('a', 3000), Type = "c", Major = 1, Minor = 3, FileMode = 438 }];
        var result = c.Create();
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Single(result.StderrLines);
        if (RuntimeUnderTest.IsSkiff) // runc 1.1.5 echoes the whole path and names no field
        {
            Assert.Contains("linux.devices[0].path", result.Stderr);
            Assert.True(result.Stderr.Length < 1000, $"{result.Stderr.Length} characters on stderr");
        }
        c.AssertNothingLeftBehind();
    }

    /// <summary>A 3000-byte path of names within NAME_MAX: past half of the child's path buffer, within PATH_MAX.</summary>
    [Fact]
    public void A_device_at_a_3000_byte_path_is_made_there()
    {
        using var c = new TestContainer(suite);
        string deep = "/dev/" + string.Concat(Enumerable.Range(0, 12).Select(i => new string((char)('a' + i), 240) + "/")) + "null2";
        c.Linux.Devices = [new LinuxDevice { Path = deep, Type = "c", Major = 1, Minor = 3, FileMode = 438 }];
        c.Shell($"test -c {deep} && echo made");
        Assert.Equal("made\n", c.Output());
    }

    [Fact]
    public void A_10_MB_hostname_gives_one_short_line()
    {
        using var c = new TestContainer(suite);
        c.Spec.Hostname = new string('h', 10_000_000);
        var result = c.Create();
        Assert.True(result.ExitCode == 1, result.ToString()[..Math.Min(2000, result.ToString().Length)]);
        Assert.True(result.Stderr.Length < 1000, $"{result.Stderr.Length} characters on stderr");
        if (RuntimeUnderTest.IsSkiff) Assert.Contains("HOST_NAME_MAX", result.Stderr);
        c.AssertNothingLeftBehind();
    }
}
