using Skiff.Cgroups.Devices;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups.Tests;

public class DeviceRuleTests
{
    private static DeviceCgroupRule Rule(bool allow, string? type, long? major, long? minor, string access) =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    [Fact]
    public void Deny_all_then_allows_is_a_whitelist_with_runc_defaults()
    {
        var state = DeviceState.From(DeviceRules.WithDefaults([Rule(false, null, null, null, "rwm"), Rule(true, "c", 1, 1, "r")]));
        Assert.False(state.DefaultAllow);
        string[] lines = state.Rules().Select(r => r.ToString()).ToArray();
        Assert.Equal("a *:* rwm", lines[0]);
        Assert.Contains("c 1:1 r", lines);
        Assert.Contains("c 1:3 rwm", lines);
        Assert.Contains("c 136:* rwm", lines);
        Assert.Contains("b *:* m", lines);
    }

    [Fact]
    public void Allow_all_resets_and_later_denies_become_exceptions()
    {
        var state = DeviceState.From(DeviceRules.Validate([Rule(true, "a", null, null, "rwm"), Rule(false, "b", 8, 0, "w")]));
        Assert.True(state.DefaultAllow);
        Assert.Equal(["a *:* rwm", "b 8:0 w"], state.Rules().Select(r => r.ToString()));
        Assert.Equal([true, false], state.Rules().Select(r => r.Allow));
    }

    [Fact]
    public void A_deny_after_an_allow_takes_access_away()
    {
        var state = DeviceState.From(DeviceRules.Validate([Rule(true, "c", 1, 3, "rwm"), Rule(false, "c", 1, 3, "w")]));
        Assert.Equal(DeviceAccess.Read | DeviceAccess.Mknod, state.Exceptions[('c', 1, 3)]);
    }

    [Fact]
    public void The_kernel_list_is_compared_only_in_whitelist_mode()
    {
        var target = DeviceState.From(DeviceRules.Validate([Rule(true, "c", 1, 3, "rwm"), Rule(true, "c", 136, null, "rw")]));
        Assert.True(target.Matches(DeviceState.FromList("c 1:3 rwm\nc 136:* rw\n")));
        Assert.False(target.Matches(DeviceState.FromList("c 1:3 rwm\n")));
        Assert.False(target.Matches(DeviceState.FromList("a *:* rwm\n")));
    }

    [Theory]
    [InlineData("x", "rwm", "type \"x\"")]
    [InlineData("c", "", "empty access")]
    [InlineData("c", "rwz", "access \"rwz\"")]
    public void Bad_rules_are_refused_naming_the_field(string type, string access, string expected)
    {
        var e = Assert.Throws<CgroupException>(() => DeviceRules.Validate([Rule(true, type, 1, 3, access)]));
        Assert.Contains("device rule 0", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
