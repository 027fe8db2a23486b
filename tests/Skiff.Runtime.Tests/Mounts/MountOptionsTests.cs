using Skiff.Runtime;
using Skiff.Runtime.Mounts;
using static Skiff.Linux.Kernel;

namespace Skiff.Runtime.Tests.Mounts;

/// <summary>OCI mount options read as mount(8) and runc read them.</summary>
public class MountOptionsTests
{
    [Fact]
    public void Flags_set_and_clear_in_order()
    {
        ParsedMountOptions o = MountOptions.Parse(["ro", "nosuid", "nodev", "rw", "noexec"], "/x");
        Assert.Equal(MS_NOSUID | MS_NODEV | MS_NOEXEC, o.Flags);
        Assert.Null(o.Data);
    }

    [Fact]
    public void Bind_and_rbind_differ_in_recursion_and_remount_flags_are_kept_apart()
    {
        ParsedMountOptions bind = MountOptions.Parse(["bind", "ro"], "/x");
        ParsedMountOptions rbind = MountOptions.Parse(["rbind", "ro"], "/x");
        Assert.True(bind.Bind);
        Assert.False(bind.Recursive);
        Assert.True(rbind.Bind);
        Assert.True(rbind.Recursive);
        Assert.Equal(MS_RDONLY, rbind.RemountFlags);
    }

    [Fact]
    public void Propagation_recursive_attributes_and_data_are_separated()
    {
        ParsedMountOptions o = MountOptions.Parse(["rslave", "rro", "mode=755", "size=64k", "tmpcopyup"], "/x");
        Assert.Equal(MS_SLAVE | MS_REC, o.Propagation);
        Assert.Equal(MOUNT_ATTR_RDONLY, o.RecursiveAttrSet);
        Assert.Equal("mode=755,size=64k", o.Data);
        Assert.True(o.CopyUp);
    }

    [Theory]
    [InlineData("idmap")]
    [InlineData("rsuid")]
    public void Options_skiff_cannot_honour_are_refused_by_name(string option)
    {
        var e = Assert.Throws<RuntimeException>(() => MountOptions.Parse(["bind", option], "/data"));
        Assert.Contains($"mount /data: option \"{option}\" is not supported", e.Message);
    }

    [Theory]
    [InlineData(null, 0L)]
    [InlineData("", 0L)]
    [InlineData("private", MS_PRIVATE)]
    [InlineData("rshared", MS_SHARED | MS_REC)]
    public void Rootfs_propagation_names_map_to_flags(string? name, long flags)
    {
        Assert.Equal(flags, MountOptions.PropagationOf(name, "rootfsPropagation"));
    }

    [Fact]
    public void An_unknown_propagation_is_refused_by_field()
    {
        var e = Assert.Throws<RuntimeException>(() => MountOptions.PropagationOf("sideways", "rootfsPropagation"));
        Assert.Equal("rootfsPropagation: unknown propagation \"sideways\"", e.Message);
    }
}
