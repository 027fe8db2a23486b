namespace Skiff.Cgroups.Tests;

public class ConversionTests
{
    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(2UL, 1UL)]
    [InlineData(1024UL, 100UL)]
    [InlineData(262144UL, 10000UL)]
    [InlineData(500000UL, 10000UL)]
    public void Cpu_shares_map_to_weight_with_defaults_aligned(ulong shares, ulong weight) =>
        Assert.Equal(weight, Conversions.CpuSharesToWeight(shares));

    [Fact]
    public void Cpu_weight_rises_with_shares()
    {
        ulong previous = 0;
        for (ulong shares = 2; shares <= 262144; shares = shares * 3 / 2 + 1)
        {
            ulong weight = Conversions.CpuSharesToWeight(shares);
            Assert.InRange(weight, previous, 10000UL);
            previous = weight;
        }
    }

    [Theory]
    [InlineData((ushort)10, 1UL)]
    [InlineData((ushort)500, 4950UL)]
    [InlineData((ushort)1000, 10000UL)]
    public void Blkio_weight_maps_linearly_to_io_weight(ushort blkio, ulong io) =>
        Assert.Equal(io, Conversions.BlkioWeightToIoWeight(blkio));

    [Theory]
    [InlineData(0L, -1L, -1L)]
    [InlineData(0L, 100L, 0L)]
    [InlineData(-1L, 100L, -1L)]
    [InlineData(300L, 100L, 200L)]
    [InlineData(100L, 100L, 0L)]
    [InlineData(500L, -1L, 500L)]
    public void Swap_becomes_swap_alone_on_v2(long memorySwap, long memory, long expected) =>
        Assert.Equal(expected, Conversions.SwapToV2(memorySwap, memory));

    [Fact]
    public void Swap_below_memory_is_refused()
    {
        var e = Assert.Throws<CgroupException>(() => Conversions.SwapToV2(50, 100));
        Assert.Contains("below the memory limit", e.Message);
    }
}
