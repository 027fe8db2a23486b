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
    public void Nested_objects_merge_member_by_member_at_every_depth()
    {
        var stored = new LinuxResources
        {
            BlockIo = new BlockIoResources { Weight = 300, LeafWeight = 200 },
            Network = new NetworkResources { ClassId = 7, Priorities = [new InterfacePriority { Name = "eth0", Priority = 1 }] },
            Rdma = new() { ["mlx5_0"] = new RdmaResource { HcaHandles = 3, HcaObjects = 100 } },
        };
        var update = new LinuxResources
        {
            BlockIo = new BlockIoResources { Weight = 500 },
            Network = new NetworkResources { Priorities = [new InterfacePriority { Name = "eth1", Priority = 2 }] },
            Rdma = new() { ["mlx5_0"] = new RdmaResource { HcaHandles = 5 }, ["mlx5_1"] = new RdmaResource { HcaObjects = 9 } },
        };

        var merged = ResourceMerge.Merge(stored, update);

        Assert.Equal((ushort)500, merged.BlockIo!.Weight);
        Assert.Equal((ushort)200, merged.BlockIo.LeafWeight);
        Assert.Equal(7U, merged.Network!.ClassId);
        Assert.Equal("eth1", Assert.Single(merged.Network.Priorities!).Name);
        Assert.Equal(5U, merged.Rdma!["mlx5_0"].HcaHandles);
        Assert.Equal(100U, merged.Rdma["mlx5_0"].HcaObjects);
        Assert.Equal(9U, merged.Rdma["mlx5_1"].HcaObjects);
    }

    [Fact]
    public void An_update_of_a_container_without_resources_becomes_its_resources()
    {
        var update = new LinuxResources { Pids = new PidsResources { Limit = 5 } };
        Assert.Equal(5, ResourceMerge.Merge(null, update).Pids!.Limit);
    }
}
