using Skiff.Cgroups.Devices;
using Skiff.Cgroups.Stats;

namespace Skiff.Cgroups.V1;

/// <summary>devices: the allow/deny lists, rewritten only when they differ from what the kernel already holds.</summary>
internal sealed class DevicesV1 : IV1Controller
{
    public string Name => "devices";
    public string? Serves => "devices";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Devices is not { } rules) return;
        var target = DeviceState.From(rules);
        // A rewrite starts with a reset that denies every device for a moment: skip it when nothing changes.
        if (target.Matches(DeviceState.FromList(CgroupFile.Read(dir, "devices.list")))) return;
        foreach (var rule in target.Rules())
            CgroupFile.Write(dir, rule.Allow ? "devices.allow" : "devices.deny", rule.Type == 'a' ? "a" : rule.ToString());
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
    }
}
