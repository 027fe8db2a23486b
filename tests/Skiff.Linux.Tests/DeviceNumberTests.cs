using Skiff.Linux;

namespace Skiff.Linux.Tests;

/// <summary>glibc's dev_t layout: 12 bits of major and 8 of minor low, the rest above bit 32.</summary>
public class DeviceNumberTests
{
    [Theory]
    [InlineData(1u, 3u, 0x103UL)]              // /dev/null
    [InlineData(5u, 1u, 0x501UL)]              // /dev/console
    [InlineData(259u, 0u, 0x10300UL)]          // a block extended-devt major
    [InlineData(0x12345u, 0x6789Au, 0x0001_2000_6783_459AUL)]
    public void Major_and_minor_pack_and_unpack(uint major, uint minor, ulong dev)
    {
        Assert.Equal(dev, FileFlags.MakeDev(major, minor));
        Assert.Equal(major, FileFlags.Major(dev));
        Assert.Equal(minor, FileFlags.Minor(dev));
    }
}
