using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Mounts;

namespace Skiff.Runtime;

/// <summary>
/// The features document (runtime-spec features.md) for what this runtime really honours, so a
/// client that reads it before choosing options never asks for something skiff would ignore.
/// </summary>
public static class FeaturesReport
{
    /// <summary>The oldest config version skiff reads: every 1.x document is a superset of 1.0.0.</summary>
    public const string OciVersionMin = "1.0.0";

    public static Features Build() => new()
    {
        OciVersionMin = OciVersionMin,
        OciVersionMax = SpecVersion.Current,
        Hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        MountOptions = MountOptions.Known.Order(StringComparer.Ordinal).ToList(),
        Linux = new LinuxFeatures
        {
            Namespaces = ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"],
            Capabilities = [.. Capability.Names],
            // Both hierarchies are driven directly through cgroupfs; there is no systemd driver.
            Cgroup = new CgroupFeatures { V1 = true, V2 = true, Systemd = false, SystemdUser = false, Rdma = false },
            // A config asking for seccomp is refused until the filter compiler lands.
            Seccomp = new SeccompFeatures { Enabled = false },
            Apparmor = new EnabledFeature { Enabled = false },
            Selinux = new EnabledFeature { Enabled = false },
            IntelRdt = new EnabledFeature { Enabled = false },
            MountExtensions = new MountExtensions { Idmap = new EnabledFeature { Enabled = false } },
        },
    };
}
