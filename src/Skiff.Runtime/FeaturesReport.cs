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
            Namespaces = NamespaceKind.All.Select(k => k.OciType).Order(StringComparer.Ordinal).ToList(),
            Capabilities = [.. Capability.Names],
            // Both hierarchies are driven directly through cgroupfs; there is no systemd driver.
            Cgroup = new CgroupFeatures { V1 = true, V2 = true, Systemd = false, SystemdUser = false, Rdma = false },
            Seccomp = new SeccompFeatures
            {
                Enabled = true,
                Actions = ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"],
                Operators = ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"],
                Archs = ["SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64"],
                KnownFlags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                SupportedFlags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
            },
            Apparmor = new EnabledFeature { Enabled = true },
            Selinux = new EnabledFeature { Enabled = true },
            IntelRdt = new EnabledFeature { Enabled = false },
            MountExtensions = new MountExtensions { Idmap = new EnabledFeature { Enabled = false } },
        },
    };
}
