namespace Skiff.Linux.Tests;

public class MountTableTests
{
    private const string Text = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        30 22 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:9 - cgroup cgroup rw,memory
        31 22 0:27 /ctr /sys/fs/cgroup/unified rw master:3 - cgroup2 cgroup2 rw,nsdelegate
        40 22 0:4 net:[4026532281] /run/skiff/netns/a\040b rw - nsfs nsfs rw
        41 22 0:50 / /var/lib/skiff/overlay/x/merged rw - overlay overlay rw,lowerdir=/l,upperdir=/u
        42 41 0:51 / /var/lib/skiff/overlay/x/merge\134d rw - tmpfs tmpfs rw
        broken line
        """;

    [Fact]
    public void Each_line_gives_root_mount_point_type_and_super_options()
    {
        MountTable table = MountTable.Parse(Text);
        Assert.Equal(6, table.Entries.Count);
        MountEntry unified = table.Entries[2];
        Assert.Equal(("/ctr", "/sys/fs/cgroup/unified", "cgroup2", "rw,nsdelegate"),
            (unified.Root, unified.MountPoint, unified.FsType, unified.SuperOptions));
    }

    [Fact]
    public void Escaped_blanks_and_backslashes_in_paths_are_read_back()
    {
        MountTable table = MountTable.Parse(Text);
        Assert.True(table.IsMountPoint("/run/skiff/netns/a b"));
        Assert.True(table.IsMountPoint("/var/lib/skiff/overlay/x/merge\\d"));
        Assert.False(table.IsMountPoint("/run/skiff/netns/a\\040b"));
    }

    [Theory]
    [InlineData("/var/lib/skiff/overlay/x/merged/etc", "/var/lib/skiff/overlay/x/merged")]
    [InlineData("/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory")]
    [InlineData("/sys/fs/cgroup/memoryx", "/")]
    [InlineData("/home", "/")]
    public void A_path_is_held_by_the_longest_mount_point_above_it(string path, string mountPoint)
    {
        Assert.Equal(mountPoint, MountTable.Parse(Text).MountPointOf(path));
    }

    [Fact]
    public void This_process_table_has_its_root_mount()
    {
        Assert.Contains(MountTable.Read().Entries, e => e.MountPoint == "/");
    }
}
