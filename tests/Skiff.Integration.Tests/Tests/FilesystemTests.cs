using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;
using static Skiff.Integration.Tests.Tests.ProcessTests;

namespace Skiff.Integration.Tests.Tests;

/// <summary>root, mounts, devices, masked and read-only paths, observed from inside the container.</summary>
[Collection(ContainerCollection.Name)]
public sealed class FilesystemTests(Suite suite)
{
    private const string Separator = "-----";

    [Fact]
    public void Default_mounts_have_their_types_and_flags()
    {
        using var c = new TestContainer(suite);
        c.Shell("cat /proc/self/mountinfo");

        var table = MountInfo.Parse(c.Output());

        AssertMount(table, "/", m => Assert.False(m.ReadOnly, m.ToString()));
        AssertMount(table, "/proc", m => Assert.Equal("proc", m.FsType));
        AssertMount(table, "/dev", m =>
        {
            Assert.Equal("tmpfs", m.FsType);
            Assert.True(m.Has("nosuid"), m.ToString());
            Assert.Contains("mode=755", m.SuperOptions);
        });
        AssertMount(table, "/dev/pts", m =>
        {
            Assert.Equal("devpts", m.FsType);
            Assert.True(m.Has("noexec") && m.Has("nosuid"), m.ToString());
            Assert.Contains("gid=5", m.SuperOptions);
            Assert.Contains("ptmxmode=666", m.SuperOptions);
        });
        AssertMount(table, "/dev/shm", m =>
        {
            Assert.Equal("tmpfs", m.FsType);
            Assert.True(m.Has("nosuid") && m.Has("nodev") && m.Has("noexec"), m.ToString());
        });
        AssertMount(table, "/dev/mqueue", m => Assert.Equal("mqueue", m.FsType));
        AssertMount(table, "/sys", m =>
        {
            Assert.Equal("sysfs", m.FsType);
            Assert.True(m.ReadOnly, m.ToString());
        });
    }

    [Fact]
    public void Tmpfs_mount_gets_its_flags_and_data()
    {
        using var c = new TestContainer(suite);
        c.Spec.Mounts!.Add(new Mount
        {
            Destination = "/scratch", Type = "tmpfs", Source = "tmpfs",
            Options = ["nosuid", "nodev", "noexec", "size=1m", "mode=1770"],
        });
        c.Shell($"cat /proc/self/mountinfo; echo {Separator}; stat -c %a /scratch; echo data > /scratch/f && cat /scratch/f");

        var (table, rest) = Split(c.Output());

        AssertMount(table, "/scratch", m =>
        {
            Assert.Equal("tmpfs", m.FsType);
            Assert.True(m.Has("nosuid") && m.Has("nodev") && m.Has("noexec") && !m.ReadOnly, m.ToString());
            Assert.Contains("size=1024k", m.SuperOptions);
            Assert.Contains("mode=1770", m.SuperOptions);
        });
        Assert.Equal(["1770", "data"], rest);
    }

    [Theory]
    [InlineData("unbindable", "unbindable")]
    [InlineData("private", "")]
    public void Rootfs_propagation_is_what_the_config_asks_for(string propagation, string expectedTag)
    {
        // runc 1.1.5 fails "unbindable" (it binds the rootfs onto itself in an unbindable tree); crun
        // and the spec give the container an unbindable root.
        using var c = new TestContainer(suite);
        c.Spec.Linux!.RootfsPropagation = propagation;
        c.Shell("cat /proc/self/mountinfo");

        var table = MountInfo.Parse(c.Output());

        AssertMount(table, "/", m => Assert.Equal(expectedTag, string.Join(" ", m.OptionalFields)));
    }

    [Fact]
    public void Read_only_bind_mount_shows_host_files_and_refuses_writes()
    {
        using var c = new TestContainer(suite);
        var source = Path.Combine(c.Dir, "ro-src");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "hello.txt"), "from the host\n");
        c.Spec.Mounts!.Add(new Mount { Destination = "/data/ro", Type = "bind", Source = source, Options = ["bind", "ro"] });
        c.Shell($"cat /proc/self/mountinfo; echo {Separator}; cat /data/ro/hello.txt; {Try("touch /data/ro/new")}");

        var (table, rest) = Split(c.Output());

        AssertMount(table, "/data/ro", m => Assert.True(m.ReadOnly, m.ToString()));
        Assert.Equal("from the host", rest[0]);
        Assert.Contains("Read-only file system", rest[1]);
        Assert.False(File.Exists(Path.Combine(source, "new")));
    }

    [Fact]
    public void Read_write_bind_mount_writes_through_to_the_host()
    {
        using var c = new TestContainer(suite);
        c.Share().Shell($"echo written inside > {TestContainer.ShareMountPoint}/out.txt");

        c.Output();

        Assert.Equal("written inside\n", File.ReadAllText(c.SharedFile("out.txt")));
    }

    [Fact]
    public void Rbind_with_rro_makes_every_submount_read_only()
    {
        using var c = new TestContainer(suite);
        var source = Path.Combine(c.Dir, "rro-src");
        var sub = Path.Combine(source, "sub");
        Directory.CreateDirectory(sub);
        HostCommand.Run("/bin/mount", "-t", "tmpfs", "-o", "size=1m", "skt-sub", sub); // unmounted by Dispose
        File.WriteAllText(Path.Combine(sub, "in-submount"), "x");
        c.Spec.Mounts!.Add(new Mount { Destination = "/data/rro", Type = "bind", Source = source, Options = ["rbind", "rro"] });
        c.Shell($"cat /proc/self/mountinfo; echo {Separator}; ls /data/rro/sub; {Try("touch /data/rro/sub/new")}");

        var (table, rest) = Split(c.Output());

        AssertMount(table, "/data/rro", m => Assert.True(m.ReadOnly, m.ToString()));
        AssertMount(table, "/data/rro/sub", m =>
        {
            Assert.Equal("tmpfs", m.FsType);
            Assert.True(m.ReadOnly, m.ToString());
        });
        Assert.Equal("in-submount", rest[0]);
        Assert.Contains("Read-only file system", rest[1]);
    }

    [Fact]
    public void Plain_bind_does_not_carry_submounts_but_rbind_does()
    {
        using var c = new TestContainer(suite);
        var source = Path.Combine(c.Dir, "tree");
        var sub = Path.Combine(source, "sub");
        Directory.CreateDirectory(sub);
        HostCommand.Run("/bin/mount", "-t", "tmpfs", "-o", "size=1m", "skt-sub", sub);
        File.WriteAllText(Path.Combine(sub, "in-submount"), "x");
        c.Spec.Mounts!.Add(new Mount { Destination = "/bind", Type = "bind", Source = source, Options = ["bind"] });
        c.Spec.Mounts!.Add(new Mount { Destination = "/rbind", Type = "bind", Source = source, Options = ["rbind"] });
        c.Shell("ls /bind/sub; echo :; ls /rbind/sub");

        Assert.Equal([":", "in-submount"], Lines(c.Output()));
    }

    [Fact]
    public void Mount_destinations_are_created_at_any_depth()
    {
        using var c = new TestContainer(suite);
        c.Spec.Mounts!.Add(new Mount { Destination = "/deep/a/b/c", Type = "tmpfs", Source = "tmpfs" });
        c.Shell("stat -f -c %T /deep/a/b/c");

        Assert.Equal("tmpfs\n", c.Output());
    }

    [Fact]
    public void Mount_destination_through_a_symlink_stays_inside_the_rootfs()
    {
        using var c = new TestContainer(suite);
        // An absolute symlink that names a real host directory: followed on the host, it escapes.
        var hostTarget = Path.Combine(c.Dir, "host-target");
        Directory.CreateDirectory(hostTarget);
        File.CreateSymbolicLink(Path.Combine(c.Rootfs, "escape"), hostTarget);
        c.Spec.Mounts!.Add(new Mount { Destination = "/escape/mnt", Type = "tmpfs", Source = "tmpfs" });
        c.Shell("stat -f -c %T /escape/mnt");

        Assert.Equal("tmpfs\n", c.Output());
        Assert.False(Directory.Exists(Path.Combine(hostTarget, "mnt")), "the runtime created the mount point on the host, outside the rootfs");
        Assert.True(Directory.Exists(Path.Combine(c.Rootfs, hostTarget.TrimStart('/'), "mnt")), "the mount point should be resolved inside the rootfs");
    }

    [Fact]
    public void Masked_paths_are_empty_and_unwritable()
    {
        using var c = new TestContainer(suite);
        Directory.CreateDirectory(Path.Combine(c.Rootfs, "secret-dir"));
        File.WriteAllText(Path.Combine(c.Rootfs, "secret-dir", "key"), "dir secret");
        File.WriteAllText(Path.Combine(c.Rootfs, "secret-file"), "file secret");
        c.Linux.MaskedPaths!.AddRange(["/secret-dir", "/secret-file", "/no/such/path"]);
        // /proc/timer_list and /sys/firmware are in the default masked list and have content on this
        // host (/proc/kcore does not exist: CONFIG_PROC_KCORE is off here).
        Assert.True(new FileInfo("/proc/timer_list").Exists, "host has no /proc/timer_list");
        Assert.True(Directory.EnumerateFileSystemEntries("/sys/firmware").Any(), "host /sys/firmware is empty");
        c.Shell("wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; ls -A /secret-dir | wc -l; wc -c < /secret-file; " +
                Try("touch /secret-dir/new"));

        var lines = Lines(c.Output());

        Assert.Equal(["0", "0", "0", "0"], lines[..4].Select(l => l.Trim()));
        Assert.Contains("Read-only file system", lines[4]);
        Assert.Equal("dir secret", File.ReadAllText(Path.Combine(c.Rootfs, "secret-dir", "key")));
    }

    [Fact]
    public void Readonly_paths_refuse_writes_and_the_rest_stays_writable()
    {
        using var c = new TestContainer(suite);
        Directory.CreateDirectory(Path.Combine(c.Rootfs, "ro-dir"));
        c.Linux.ReadonlyPaths!.Add("/ro-dir");
        c.Shell($"cat /proc/self/mountinfo; echo {Separator}; " +
                $"{Try("echo skt > /proc/sys/kernel/domainname")}; {Try("touch /ro-dir/new")}; {Try("touch /writable")}");

        var (table, rest) = Split(c.Output());

        AssertMount(table, "/proc/sys", m => Assert.True(m.ReadOnly, m.ToString()));
        AssertMount(table, "/ro-dir", m => Assert.True(m.ReadOnly, m.ToString()));
        Assert.Contains("Read-only file system", rest[0]);
        Assert.Contains("Read-only file system", rest[1]);
        Assert.Equal("ok", rest[2]);
    }

    [Fact]
    public void Readonly_root_refuses_writes_but_tmpfs_mounts_stay_writable()
    {
        using var c = new TestContainer(suite);
        c.Spec.Root!.Readonly = true;
        c.Shell($"cat /proc/self/mountinfo; echo {Separator}; {Try("touch /newfile")}; {Try("touch /dev/shm/ok")}");

        var (table, rest) = Split(c.Output());

        AssertMount(table, "/", m => Assert.True(m.ReadOnly, m.ToString()));
        Assert.Contains("Read-only file system", rest[0]);
        Assert.Equal("ok", rest[1]);
        Assert.False(File.Exists(Path.Combine(c.Rootfs, "newfile")));
    }

    [SkiffOnlyFact("runc 1.1.5 adds context= to every mount here, and the kernel refuses it")]
    public void Mount_label_is_accepted_on_a_host_without_selinux()
    {
        // Podman sets mountLabel; SELinux is built into this kernel but not enabled.
        Assert.False(File.Exists("/sys/fs/selinux/enforce"), "SELinux is enabled here: this test expects it off");
        using var c = new TestContainer(suite);
        c.Linux.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2";
        c.Spec.Mounts!.Add(new Mount { Destination = "/labelled", Type = "tmpfs", Source = "tmpfs" });
        c.Shell("stat -f -c %T /labelled");

        Assert.Equal("tmpfs\n", c.Output());
    }

    [Fact]
    public void Absolute_root_path_is_used_as_is()
    {
        using var c = new TestContainer(suite);
        c.Spec.Root!.Path = c.Rootfs;
        File.WriteAllText(Path.Combine(c.Rootfs, "marker"), "this rootfs\n");
        c.Shell("cat /marker");

        Assert.Equal("this rootfs\n", c.Output());
    }

    [Fact]
    public void No_pivot_still_runs_the_process_in_the_rootfs()
    {
        using var c = new TestContainer(suite);
        File.WriteAllText(Path.Combine(c.Rootfs, "marker"), "no-pivot rootfs\n");
        c.Shell("cat /marker; ls /proc/1/root/marker");
        c.WriteConfig();

        var result = c.Cli.Invoke("run", "--no-pivot", "--bundle", c.BundleDir, c.Id);

        result.AssertSuccess();
        Assert.Equal(["no-pivot rootfs", "/proc/1/root/marker"], Lines(result.Stdout));
    }

    [Fact]
    public void Default_devices_exist_with_their_numbers_and_modes()
    {
        using var c = new TestContainer(suite);
        c.Shell("for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done; " +
                $"{Try("echo x > /dev/null")}; head -c 4 /dev/zero | od -An -tx1; " +
                $"{Try("echo x > /dev/full")}; head -c 8 /dev/urandom | wc -c");

        var lines = Lines(c.Output());

        Assert.Equal("/dev/null character special file 1:3 666", lines[0]);
        Assert.Equal("/dev/zero character special file 1:5 666", lines[1]);
        Assert.Equal("/dev/full character special file 1:7 666", lines[2]);
        Assert.Equal("/dev/random character special file 1:8 666", lines[3]);
        Assert.Equal("/dev/urandom character special file 1:9 666", lines[4]);
        Assert.Equal("/dev/tty character special file 5:0 666", lines[5]);
        Assert.Equal("ok", lines[6]);
        Assert.Equal("00 00 00 00", lines[7].Trim());
        Assert.Contains("No space left on device", lines[8]);
        Assert.Equal("8", lines[9].Trim());
    }

    [Fact]
    public void Linux_devices_are_created_with_number_mode_and_owner()
    {
        using var c = new TestContainer(suite);
        c.Linux.Devices =
        [
            new LinuxDevice { Path = "/dev/skt-null", Type = "c", Major = 1, Minor = 3, FileMode = Convert.ToUInt32("640", 8), Uid = 1000, Gid = 1001 },
            new LinuxDevice { Path = "/dev/sub/skt-zero", Type = "c", Major = 1, Minor = 5 },
        ];
        c.Shell("stat -c '%n %F %t:%T %a %u %g' /dev/skt-null; stat -c '%n %F %t:%T' /dev/sub/skt-zero; head -c 2 /dev/sub/skt-zero | od -An -tx1");

        var lines = Lines(c.Output());

        Assert.Equal("/dev/skt-null character special file 1:3 640 1000 1001", lines[0]);
        Assert.Equal("/dev/sub/skt-zero character special file 1:5", lines[1]);
        Assert.Equal("00 00", lines[2].Trim());
    }

    [Fact]
    public void Dev_has_the_standard_symlinks()
    {
        using var c = new TestContainer(suite);
        c.Shell("for l in fd stdin stdout stderr ptmx; do echo \"$l $(readlink /dev/$l)\"; done");

        Assert.Equal(
            ["fd /proc/self/fd", "stdin /proc/self/fd/0", "stdout /proc/self/fd/1", "stderr /proc/self/fd/2", "ptmx pts/ptmx"],
            Lines(c.Output()));
    }

    [Fact]
    public void Cgroup_mount_shows_the_container_its_own_cgroup_read_only()
    {
        using var c = new TestContainer(suite);
        c.Spec.Mounts!.Add(new Mount
        {
            Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup",
            Options = ["nosuid", "noexec", "nodev", "relatime", "ro"],
        });
        c.Shell("cat /sys/fs/cgroup/memory/cgroup.procs; echo :; cat /sys/fs/cgroup/pids/cgroup.procs; echo :; " +
                Try("mkdir /sys/fs/cgroup/memory/child"));

        var output = c.Output();
        var parts = output.Split(":\n");

        // The container's cgroup is the root of its view: its init (pid 1) is in it.
        Assert.Contains("1", Lines(parts[0]));
        Assert.Contains("1", Lines(parts[1]));
        Assert.Contains("Read-only file system", parts[2]);
    }

    private static void AssertMount(IReadOnlyList<MountEntry> table, string mountPoint, Action<MountEntry> check)
    {
        var entry = MountInfo.At(table, mountPoint);
        Assert.True(entry is not null, $"no mount at {mountPoint}; mounts: {string.Join("; ", table.Select(m => m.MountPoint))}");
        check(entry!);
    }

    private static (IReadOnlyList<MountEntry> Table, string[] After) Split(string output)
    {
        var at = output.IndexOf(Separator + "\n", StringComparison.Ordinal);
        Assert.True(at >= 0, $"no separator in output: {output}");
        return (MountInfo.Parse(output[..at]), Lines(output[(at + Separator.Length + 1)..]));
    }
}
