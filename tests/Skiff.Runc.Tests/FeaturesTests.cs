using System.Text.Json;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Mounts;

namespace Skiff.Runc.Tests;

public class FeaturesTests
{
    [Fact]
    public void Features_tells_what_skiff_supports()
    {
        (int status, string stdout, string stderr) = Cli.Run("features");
        Assert.Equal(0, status);
        Assert.Equal("", stderr);

        Features features = JsonSerializer.Deserialize(stdout, OciJsonContext.Default.Features)!;
        Assert.Equal("1.0.0", features.OciVersionMin);
        Assert.Equal(SpecVersion.Current, features.OciVersionMax);
        Assert.Equal(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"], features.Hooks);
        Assert.Equal(MountOptions.Known.Order(StringComparer.Ordinal), features.MountOptions);
        Assert.Contains("rbind", features.MountOptions);
        Assert.Contains("nosuid", features.MountOptions);

        LinuxFeatures linux = features.Linux;
        Assert.Equal(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"], linux.Namespaces);
        Assert.Equal(Capability.Names, linux.Capabilities);
        Assert.Contains("CAP_SYS_ADMIN", linux.Capabilities);
        Assert.True(linux.Cgroup.V1);
        Assert.True(linux.Cgroup.V2);
        Assert.False(linux.Cgroup.Systemd);
        Assert.False(linux.Cgroup.SystemdUser);
        Assert.True(linux.Seccomp.Enabled);
        Assert.Contains("SCMP_ACT_NOTIFY", linux.Seccomp.Actions!);
        Assert.Contains("SCMP_CMP_MASKED_EQ", linux.Seccomp.Operators!);
        Assert.True(linux.Apparmor.Enabled);
        Assert.True(linux.Selinux.Enabled);
        Assert.False(linux.IntelRdt.Enabled);
        Assert.False(linux.MountExtensions.Idmap.Enabled);
    }

    [Fact]
    public void Features_json_uses_the_spec_field_names()
    {
        string stdout = Cli.Run("features").Out;
        using JsonDocument document = JsonDocument.Parse(stdout);
        JsonElement root = document.RootElement;
        foreach (string name in new[] { "ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "linux" })
            Assert.True(root.TryGetProperty(name, out _), name);
        JsonElement linux = root.GetProperty("linux");
        Assert.True(linux.GetProperty("seccomp").GetProperty("enabled").GetBoolean());
        Assert.True(linux.GetProperty("seccomp").TryGetProperty("actions", out _));
        Assert.False(linux.GetProperty("mountExtensions").GetProperty("idmap").GetProperty("enabled").GetBoolean());
    }
}
