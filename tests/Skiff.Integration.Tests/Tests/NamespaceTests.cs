using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;
using static Skiff.Integration.Tests.Tests.ProcessTests;

namespace Skiff.Integration.Tests.Tests;

/// <summary>linux.namespaces and what lives in them: hostname, id maps, time offsets, sysctl, cgroups.</summary>
[Collection(ContainerCollection.Name)]
public sealed class NamespaceTests(Suite suite)
{
    [Fact]
    public void Hostname_is_set_in_the_uts_namespace_only()
    {
        var hostHostname = File.ReadAllText("/proc/sys/kernel/hostname");
        using var c = new TestContainer(suite);
        c.Spec.Hostname = "skt-box";
        c.Shell("hostname; uname -n");

        Assert.Equal(["skt-box", "skt-box"], Lines(c.Output()));
        Assert.Equal(hostHostname, File.ReadAllText("/proc/sys/kernel/hostname"));
    }

    [SkiffOnlyFact("runc 1.1.5 ignores domainname")]
    public void Domainname_is_set_in_the_uts_namespace_only()
    {
        var hostDomainname = File.ReadAllText("/proc/sys/kernel/domainname");
        using var c = new TestContainer(suite);
        c.Spec.Domainname = "skt.example";
        c.Shell("cat /proc/sys/kernel/domainname");

        Assert.Equal("skt.example\n", c.Output());
        Assert.Equal(hostDomainname, File.ReadAllText("/proc/sys/kernel/domainname"));
    }

    [Fact]
    public void User_namespace_maps_ids_as_configured()
    {
        using var c = new TestContainer(suite);
        c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "user" });
        c.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        c.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 200000, Size = 65536 }];
        c.Process.User.AdditionalGids = [5]; // needs setgroups(2) to be allowed in the namespace
        c.Shell("cat /proc/self/uid_map /proc/self/gid_map; id; stat -c '%u %g' /bin/busybox; " +
                "touch /tmp/mine; stat -c '%u %g' /tmp/mine");

        var lines = Lines(c.Output());

        Assert.Equal(["0", "100000", "65536"], Fields(lines[0]));
        Assert.Equal(["0", "200000", "65536"], Fields(lines[1]));
        Assert.Equal("uid=0(root) gid=0(root) groups=5(tty)", lines[2]);
        // The rootfs belongs to host root, which is not mapped: it shows as the overflow ids.
        Assert.Equal("65534 65534", lines[3]);
        // A file root creates in the container belongs to the mapped host ids. (/tmp is 1777.)
        Assert.Equal("0 0", lines[4]);
        var created = new FileInfo(Path.Combine(c.Rootfs, "tmp", "mine"));
        Assert.Equal((100000, 200000), OwnerOf(created.FullName));
    }

    [Fact]
    public void Bind_sources_only_host_root_can_reach_mount_with_a_user_namespace()
    {
        using var c = new TestContainer(suite);
        // The sources sit in a directory nobody but host root may traverse; container root maps to 100000.
        var locked = Path.Combine(c.Dir, "locked");
        var directory = Path.Combine(locked, "data");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "hello.txt"), "behind a locked door\n");
        File.WriteAllText(Path.Combine(locked, "single.txt"), "a file source\n");
        File.SetUnixFileMode(locked, UnixFileMode.None);
        // Container root may not create in the rootfs host root owns: the destinations exist.
        Directory.CreateDirectory(Path.Combine(c.Rootfs, "data"));
        File.WriteAllText(Path.Combine(c.Rootfs, "single.txt"), "");
        c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "user" });
        c.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        c.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        c.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = directory, Options = ["rbind", "ro"] });
        c.Spec.Mounts!.Add(new Mount { Destination = "/single.txt", Type = "bind", Source = Path.Combine(locked, "single.txt"), Options = ["bind"] });
        c.Shell($"cat /data/hello.txt /single.txt; touch /data/new 2>&1 | grep -o 'Read-only file system'; grep -c ' /data ' /proc/self/mountinfo");

        Assert.Equal(["behind a locked door", "a file source", "Read-only file system", "1"], Lines(c.Output()));
        Assert.False(File.Exists(Path.Combine(directory, "new")));
        // Positive control: the host user container root maps to really cannot reach the sources.
        var denied = HostCommand.Invoke("setpriv", ["--reuid=100000", "--regid=100000", "--clear-groups", "cat", Path.Combine(directory, "hello.txt")]);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Permission denied", denied.Stderr);
    }

    [SkiffOnlyFact("runc 1.1.5 and crun 1.8.1 predate time namespaces")]
    public void Time_namespace_applies_the_configured_offsets()
    {
        var hostUptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        const long tenDays = 864000;
        Assert.True(hostUptime < tenDays, "the host has been up for ten days: pick a larger offset");
        using var c = new TestContainer(suite);
        c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "time" });
        c.Linux.TimeOffsets = new Dictionary<string, TimeOffset>
        {
            ["boottime"] = new() { Secs = tenDays, Nanosecs = 0 },
            ["monotonic"] = new() { Secs = 3600, Nanosecs = 500 },
        };
        c.Shell("cat /proc/self/timens_offsets; cut -d' ' -f1 /proc/uptime");

        var lines = Lines(c.Output());

        Assert.Contains(["monotonic", "3600", "500"], lines.Select(Fields), new SequenceComparer());
        Assert.Contains(["boottime", tenDays.ToString(), "0"], lines.Select(Fields), new SequenceComparer());
        var uptime = double.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(uptime, tenDays + hostUptime, tenDays + hostUptime + 600);
    }

    [Fact]
    public void New_network_namespace_has_only_loopback()
    {
        using var c = new TestContainer(suite);
        c.Shell("ls /sys/class/net");

        Assert.Equal(["lo"], Lines(c.Output()));
    }

    [Fact]
    public void Network_namespace_is_joined_by_path()
    {
        var name = "skt-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];
        using var c = new TestContainer(suite);
        HostCommand.Run("/usr/sbin/ip", "netns", "add", name);
        c.OnDispose(() => HostCommand.Run("/usr/sbin/ip", "netns", "delete", name));
        HostCommand.Run("/usr/sbin/ip", "-n", name, "link", "add", "skt0", "type", "veth", "peer", "name", "skt1");
        var nsPath = $"/run/netns/{name}";
        var inode = StatInode(nsPath);
        c.Linux.Namespaces!.RemoveAll(n => n.Type == "network");
        c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "network", Path = nsPath });
        c.Shell("readlink /proc/self/ns/net; grep -o 'skt0' /proc/net/dev");

        Assert.Equal([$"net:[{inode}]", "skt0"], Lines(c.Output()));
    }

    [Fact]
    public void Sysctls_are_set_inside_the_container_only()
    {
        var hostForward = File.ReadAllText("/proc/sys/net/ipv4/ip_forward");
        var hostMsgmax = File.ReadAllText("/proc/sys/kernel/msgmax");
        using var c = new TestContainer(suite);
        var wanted = hostForward.Trim() == "1" ? "0" : "1";
        c.Linux.Sysctl = new Dictionary<string, string> { ["net.ipv4.ip_forward"] = wanted, ["kernel.msgmax"] = "12345" };
        c.Shell("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax");

        Assert.Equal([wanted, "12345"], Lines(c.Output()));
        Assert.Equal(hostForward, File.ReadAllText("/proc/sys/net/ipv4/ip_forward"));
        Assert.Equal(hostMsgmax, File.ReadAllText("/proc/sys/kernel/msgmax"));
    }

    [Fact]
    public void Process_is_placed_in_its_cgroup_in_every_hierarchy()
    {
        using var c = new TestContainer(suite);
        c.Shell("cat /proc/self/cgroup");

        var lines = Lines(c.Output());

        Assert.Equal(CgroupFs.Hierarchies.Count, lines.Length);
        Assert.All(lines, l => Assert.EndsWith(":" + c.CgroupsPath, l));
    }

    [Fact]
    public void Cgroup_namespace_makes_the_container_cgroup_its_root()
    {
        using var c = new TestContainer(suite);
        c.Linux.Namespaces!.Add(new LinuxNamespace { Type = "cgroup" });
        c.Shell("cat /proc/self/cgroup");

        Assert.All(Lines(c.Output()), l => Assert.EndsWith(":/", l));
    }

    [Fact]
    public void Ipc_namespace_is_private()
    {
        using var c = new TestContainer(suite);
        var created = HostCommand.Run("/usr/bin/ipcmk", "-Q");
        var queueId = created.Trim().Split(' ')[^1];
        c.OnDispose(() => HostCommand.Run("/usr/bin/ipcrm", "-q", queueId));
        Assert.Contains(File.ReadAllLines("/proc/sysvipc/msg").Skip(1), l => NamespaceTests.Fields(l)[1] == queueId);
        c.Shell("tail -n +2 /proc/sysvipc/msg | wc -l");

        Assert.Equal("0", c.Output().Trim());
    }

    internal static string[] Fields(string line) => line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    private static string StatInode(string path) => HostCommand.Run("/usr/bin/stat", "-L", "-c", "%i", path).Trim();

    private static (int Uid, int Gid) OwnerOf(string path)
    {
        var f = HostCommand.Run("/usr/bin/stat", "-c", "%u %g", path).Trim().Split(' ');
        return (int.Parse(f[0]), int.Parse(f[1]));
    }

    private sealed class SequenceComparer : IEqualityComparer<string[]>
    {
        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.SequenceEqual(y);

        public int GetHashCode(string[] obj) => obj.Length;
    }
}
