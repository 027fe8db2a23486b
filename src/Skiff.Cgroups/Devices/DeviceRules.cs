using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Devices;

/// <summary>Turns OCI linux.resources.devices into validated rules, with the defaults runc always adds.</summary>
public static class DeviceRules
{
    /// <summary>
    /// The devices runc allows in every container after the config's own rules (mknod of any device,
    /// /dev/null, zero, full, random, urandom, tty, the pty slaves, /dev/ptmx and /dev/net/tun).
    /// Clients rely on them, so skiff allows them too.
    /// </summary>
    public static IReadOnlyList<DeviceCgroupRule> RuncDefaults { get; } =
    [
        Allow("c", null, null, "m"),
        Allow("b", null, null, "m"),
        Allow("c", 1, 3, "rwm"),
        Allow("c", 1, 8, "rwm"),
        Allow("c", 1, 7, "rwm"),
        Allow("c", 5, 0, "rwm"),
        Allow("c", 1, 5, "rwm"),
        Allow("c", 1, 9, "rwm"),
        Allow("c", 136, null, "rwm"),
        Allow("c", 5, 2, "rwm"),
        Allow("c", 10, 200, "rwm"),
    ];

    /// <summary>The config's rules followed by runc's defaults, validated.</summary>
    internal static IReadOnlyList<DeviceRule> WithDefaults(IEnumerable<DeviceCgroupRule>? rules) =>
        Validate((rules ?? []).Concat(RuncDefaults));

    internal static IReadOnlyList<DeviceRule> Validate(IEnumerable<DeviceCgroupRule> rules)
    {
        var result = new List<DeviceRule>();
        int index = 0;
        foreach (var rule in rules)
        {
            string type = string.IsNullOrEmpty(rule.Type) ? "a" : rule.Type;
            if (type is not ("a" or "b" or "c"))
                throw new CgroupException($"cgroup: device rule {index} has type \"{type}\": the device cgroup knows only a (all), b (block) and c (char)");
            if (string.IsNullOrEmpty(rule.Access))
                throw new CgroupException($"cgroup: device rule {index} has an empty access: give some of \"rwm\"");
            if (!DeviceRule.TryParseAccess(rule.Access, out var access))
                throw new CgroupException($"cgroup: device rule {index} has access \"{rule.Access}\": only r, w and m are allowed");
            if (rule.Major < -1 || rule.Minor < -1)
                throw new CgroupException($"cgroup: device rule {index} has a negative major or minor number");
            result.Add(new DeviceRule(type[0], rule.Major ?? DeviceRule.Wildcard, rule.Minor ?? DeviceRule.Wildcard, access, rule.Allow));
            index++;
        }
        return result;
    }

    private static DeviceCgroupRule Allow(string type, long? major, long? minor, string access) =>
        new() { Allow = true, Type = type, Major = major, Minor = minor, Access = access };
}
