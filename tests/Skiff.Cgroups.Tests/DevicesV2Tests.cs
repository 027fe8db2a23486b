using Skiff.Cgroups.Devices;
using Skiff.Cgroups.V2;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Tests;

/// <summary>
/// The v2 device control (an eBPF program attached to the cgroup) tested on this hybrid host's
/// cgroup2 hierarchy: cgroup BPF works there whatever the v1 devices controller does, so the v2
/// driver is driven directly.
/// </summary>
public sealed class DevicesV2Tests : IDisposable
{
    private readonly CgroupSandbox _box = new();

    public void Dispose() => _box.Dispose();

    private UnifiedCgroup OpenV2(string name)
    {
        var cgroup = new UnifiedCgroup(_box.Layout, new CgroupsPath($"{_box.Parent}/{name}"), enableAllControllers: false);
        cgroup.Create();
        return cgroup;
    }

    private string Probe(UnifiedCgroup cgroup, string script)
    {
        var probe = _box.StartIn(cgroup, script);
        string output = probe.StandardOutput.ReadToEnd().Trim();
        probe.WaitForExit();
        return output;
    }

    private static string Disk => File.Exists("/dev/vda") ? "/dev/vda" : "/dev/sda";

    [Fact]
    public void A_deny_all_program_lets_the_defaults_through_and_stops_the_rest()
    {
        var cgroup = OpenV2("deny");
        cgroup.Apply(new LinuxResources { Devices = [new DeviceCgroupRule { Allow = false, Access = "rwm" }] });
        string output = Probe(cgroup,
            $"head -c1 /dev/zero >/dev/null && echo zero-ok; head -c1 {Disk} >/dev/null 2>&1 && echo disk-open || echo disk-denied");
        Assert.Equal("zero-ok\ndisk-denied", output);
    }

    [Fact]
    public void An_allow_all_program_with_a_denied_write_blocks_only_that_write()
    {
        var cgroup = OpenV2("allow");
        cgroup.Apply(new LinuxResources
        {
            Devices =
            [
                new DeviceCgroupRule { Allow = true, Access = "rwm" },
                new DeviceCgroupRule { Allow = false, Type = "c", Major = 1, Minor = 5, Access = "w" },
            ],
        });
        // The runc defaults re-allow /dev/zero (1:5 rwm) after the deny, as runc's would: use a device without a default.
        cgroup.Update(new LinuxResources
        {
            Devices =
            [
                new DeviceCgroupRule { Allow = true, Access = "rwm" },
                new DeviceCgroupRule { Allow = false, Type = "b", Major = 254, Minor = null, Access = "r" },
            ],
        });
        string output = Probe(cgroup,
            $"head -c1 {Disk} >/dev/null 2>&1 && echo disk-open || echo disk-denied; echo x > /dev/null && echo null-ok");
        Assert.Equal(File.Exists("/dev/vda") ? "disk-denied\nnull-ok" : "disk-open\nnull-ok", output);
    }

    [Fact]
    public void Updating_the_rules_replaces_the_program_instead_of_stacking()
    {
        var cgroup = OpenV2("replace");
        cgroup.Apply(null);
        cgroup.Update(new LinuxResources { Devices = [new DeviceCgroupRule { Allow = false, Access = "rwm" }] });
        cgroup.Update(new LinuxResources { Devices = [new DeviceCgroupRule { Allow = false, Access = "rwm" }] });
        int fd = Skiff.Linux.Interop.Libc.Open(cgroup.Directory, 0x10000 | 0x80000, 0);
        try
        {
            Assert.Single(DevicesV2.Attached(fd, cgroup.Directory));
        }
        finally
        {
            Skiff.Linux.Interop.Libc.Close(fd);
        }
    }

    [Fact]
    public void A_program_of_hundreds_of_rules_loads()
    {
        // The verifier's trace of such a program is far longer than any log buffer: loading with the
        // log on was refused (ENOSPC) from about 200 rules.
        var cgroup = OpenV2("many");
        var rules = new List<DeviceCgroupRule> { new() { Allow = false, Access = "rwm" } };
        for (int i = 0; i < 500; i++) rules.Add(new() { Allow = true, Type = "c", Major = 200 + i % 50, Minor = i, Access = "rw" });
        cgroup.Apply(new LinuxResources { Devices = rules });
        string output = Probe(cgroup, $"head -c1 /dev/zero >/dev/null && echo zero-ok; head -c1 {Disk} >/dev/null 2>&1 && echo disk-open || echo disk-denied");
        Assert.Equal("zero-ok\ndisk-denied", output);
    }

    [Fact]
    public void The_program_is_a_prologue_a_block_per_exception_and_the_default()
    {
        var empty = DeviceFilterProgram.Compile(DeviceState.From([]));
        Assert.Equal(8, empty.Length);
        Assert.Equal(DeviceFilterProgram.Instruction(0xb7, 0, 0, 0, 0), empty[^2]); // r0 = 0: deny
        Assert.Equal(0x95UL, empty[^1] & 0xff);                                     // exit

        var state = DeviceState.From(DeviceRules.Validate([new DeviceCgroupRule { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rw" }]));
        var program = DeviceFilterProgram.Compile(state);
        // prologue 6 + (type, major, minor tests + 5) + default 2
        Assert.Equal(6 + 8 + 2, program.Length);
        // The type test jumps past its whole block.
        Assert.Equal(7, (short)(program[6] >> 16));
    }
}
