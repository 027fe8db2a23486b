using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

public class SelinuxMountLabelTests
{
    private const string Label = "system_u:object_r:container_file_t:s0:c1,c2";
    private static readonly HostSecurityModules On = new(AppArmor: false, Selinux: true);
    private static readonly HostSecurityModules Off = new(AppArmor: false, Selinux: false);

    [Theory]
    [InlineData("tmpfs", "mode=755", "mode=755,context=\"" + Label + "\"")]
    [InlineData("devpts", null, "context=\"" + Label + "\"")]
    [InlineData("proc", null, null)]
    [InlineData("sysfs", "x", "x")]
    [InlineData("bind", null, null)]
    public void Mount_data_carries_the_context_where_selinux_runs(string type, string? data, string? expected) =>
        Assert.Equal(expected, SelinuxMountLabel.Apply(type, data, Label, On));

    [Fact]
    public void Without_selinux_the_label_is_ignored() =>
        Assert.Equal("mode=755", SelinuxMountLabel.Apply("tmpfs", "mode=755", Label, Off));

    [Fact]
    public void Without_a_label_nothing_changes() =>
        Assert.Equal("mode=755", SelinuxMountLabel.Apply("tmpfs", "mode=755", null, On));
}
