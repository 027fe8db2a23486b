using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Tests;

public sealed class ResourceMergeTests
{
    [Fact]
    public void Values_the_update_sets_win_and_the_others_stay()
    {
        var stored = new LinuxResources
        {
            Memory = new MemoryResources { Limit = 256 << 20, Reservation = 128 << 20 },
            Cpu = new CpuResources { Shares = 1024, Cpus = "0" },
            Pids = new PidsResources { Limit = 100 },
        };
        var update = new LinuxResources { Memory = new MemoryResources { Limit = 64 << 20 }, Cpu = new CpuResources { Quota = 50000 } };

        var merged = ResourceMerge.Merge(stored, update);

        Assert.Equal(64 << 20, merged.Memory!.Limit);
        Assert.Equal(128 << 20, merged.Memory.Reservation);
        Assert.Equal(1024UL, merged.Cpu!.Shares);
        Assert.Equal(50000, merged.Cpu.Quota);
        Assert.Equal("0", merged.Cpu.Cpus);
        Assert.Equal(100, merged.Pids!.Limit);
    }

    [Fact]
    public void Lists_are_replaced_whole_and_keyed_maps_merge_per_key()
    {
        var stored = new LinuxResources
        {
            Devices = [new DeviceCgroupRule { Allow = false, Access = "rwm" }, new DeviceCgroupRule { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" }],
            Unified = new() { ["memory.high"] = "100M", ["pids.max"] = "10" },
        };
        var update = new LinuxResources
        {
            Devices = [new DeviceCgroupRule { Allow = true, Type = "b", Major = 7, Minor = 0, Access = "r" }],
            Unified = new() { ["pids.max"] = "20" },
        };

        var merged = ResourceMerge.Merge(stored, update);

        Assert.Equal("b", Assert.Single(merged.Devices!).Type);
        Assert.Equal("100M", merged.Unified!["memory.high"]);
        Assert.Equal("20", merged.Unified["pids.max"]);
    }

    [Fact]
    public void An_update_of_a_container_without_resources_becomes_its_resources()
    {
        var update = new LinuxResources { Pids = new PidsResources { Limit = 5 } };
        Assert.Equal(5, ResourceMerge.Merge(null, update).Pids!.Limit);
    }
}
