using Skiff.Oci.Runtime;
using Skiff.Runtime;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

/// <summary>The plan is data: these tests read what the child would do without running it.</summary>
public class LaunchPlannerTests
{
    private static Spec MinimalSpec() => new()
    {
        OciVersion = "1.2.0",
        Root = new Root { Path = "rootfs" },
        Process = new Process { Args = ["sh"], Cwd = "/", Env = ["PATH=/bin:/usr/bin"] },
        Linux = new Oci.Runtime.Linux
        {
            Namespaces = [new() { Type = "pid" }, new() { Type = "mount" }, new() { Type = "uts" }, new() { Type = "ipc" }, new() { Type = "network" }],
        },
    };

    /// <summary>The bind sources these tests name, as a host would show them.</summary>
    internal static readonly PathFacts HostFiles = new()
    {
        BindSources = new Dictionary<string, BindSource>
        {
            ["/etc"] = new(SourceKind.Directory),
            ["/etc/hostname"] = new(SourceKind.File),
            ["/proc"] = new(SourceKind.Directory, OnProcfs: true),
            ["/srv/data"] = new(SourceKind.Directory),
        },
    };

    private static LaunchPlan Plan(Spec spec, IReadOnlyDictionary<string, int>? joined = null) =>
        LaunchPlanner.Plan(new LaunchInputs(spec, "/bundle", "/bundle/rootfs", new LaunchFds(10, 11, true, -1, 12)
        {
            Namespaces = joined ?? new Dictionary<string, int>(),
        }) { Paths = HostFiles });

    private static List<StepKind> Kinds(LaunchPlan plan) => plan.Steps.Select(s => s.Kind).ToList();

    [Fact]
    public void New_namespaces_are_created_by_clone_itself_without_a_second_fork()
    {
        LaunchPlan plan = Plan(MinimalSpec());
        Assert.Equal(0x20000000L | 0x20000 | 0x04000000 | 0x08000000 | 0x40000000, plan.CloneFlags);
        Assert.DoesNotContain(StepKind.Fork, Kinds(plan));
        Assert.DoesNotContain(StepKind.Unshare, Kinds(plan));
    }

    [Fact]
    public void A_joined_namespace_is_entered_after_clone_and_the_container_is_a_second_child()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Namespaces![4] = new LinuxNamespace { Type = "network", Path = "/run/netns/x" };
        LaunchPlan plan = Plan(spec, new Dictionary<string, int> { ["network"] = 20 });
        Assert.Equal(0, plan.CloneFlags);
        List<StepKind> kinds = Kinds(plan);
        Step setns = plan.Steps.Single(s => s.Kind == StepKind.SetNs);
        Assert.Equal(20, setns.Fd);
        Assert.True(kinds.IndexOf(StepKind.SetNs) < kinds.IndexOf(StepKind.Unshare));
        Assert.True(kinds.IndexOf(StepKind.Unshare) < kinds.IndexOf(StepKind.Fork));
    }

    [Fact]
    public void Joined_user_namespace_is_entered_before_any_other()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Namespaces = [new() { Type = "mount", Path = "/m" }, new() { Type = "user", Path = "/u" }, new() { Type = "pid" }];
        LaunchPlan plan = Plan(spec, new Dictionary<string, int> { ["mount"] = 30, ["user"] = 31 });
        Assert.Equal([31, 30], plan.Steps.Where(s => s.Kind == StepKind.SetNs).Select(s => s.Fd));
    }

    [Fact]
    public void Time_offsets_are_written_before_the_fork_that_enters_the_time_namespace()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "time" });
        spec.Linux.TimeOffsets = new() { ["boottime"] = new TimeOffset { Secs = 3600 } };
        LaunchPlan plan = Plan(spec);
        List<StepKind> kinds = Kinds(plan);
        Step offsets = plan.Steps.Single(s => s.Kind == StepKind.WriteFile);
        Assert.Equal("/proc/self/timens_offsets", offsets.S1);
        Assert.Equal("boottime 3600 0\n", offsets.S2);
        Assert.True(kinds.IndexOf(StepKind.WriteFile) < kinds.IndexOf(StepKind.Fork));
    }

    [Fact]
    public void Cgroup_namespace_is_unshared_only_after_the_parent_placed_the_process()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "cgroup" });
        LaunchPlan plan = Plan(spec);
        Assert.Equal(0, plan.CloneFlags & 0x02000000);
        List<StepKind> kinds = Kinds(plan);
        Assert.True(kinds.IndexOf(StepKind.WaitParent) < kinds.IndexOf(StepKind.Unshare));
    }

    [Fact]
    public void Executable_candidates_follow_the_containers_PATH()
    {
        Assert.Equal(["/a/ls", "/b/ls"], LaunchPlanner.Candidates("ls", ["PATH=/a:/b/"]));
        Assert.Equal(["./x"], LaunchPlanner.Candidates("./x", ["PATH=/a"]));
        Assert.Contains("/usr/bin/ls", LaunchPlanner.Candidates("ls", []));
    }

    [Fact]
    public void Capabilities_compile_to_bit_masks()
    {
        Spec spec = MinimalSpec();
        spec.Process!.Capabilities = new Capabilities
        {
            Bounding = ["CAP_CHOWN", "CAP_KILL"], Effective = ["CAP_KILL"], Permitted = ["CAP_KILL", "CAP_CHOWN"], Ambient = ["CAP_NET_RAW"],
        };
        LaunchPlan plan = Plan(spec);
        Assert.Equal((1L << 0) | (1L << 5), plan.Steps.Single(s => s.Kind == StepKind.DropBounding).A);
        Step capset = plan.Steps.Single(s => s.Kind == StepKind.CapSet);
        Assert.Equal(1L << 5, capset.A);
        Assert.Equal((1L << 5) | 1, capset.B);
        Assert.Equal(1L << 13, plan.Steps.Single(s => s.Kind == StepKind.Ambient).A);
    }

    [Fact]
    public void Bounding_set_is_dropped_before_the_user_changes_and_caps_are_set_after()
    {
        LaunchPlan plan = Plan(MinimalSpec());
        List<StepKind> kinds = Kinds(plan);
        Assert.True(kinds.IndexOf(StepKind.DropBounding) < kinds.IndexOf(StepKind.SetIds));
        Assert.True(kinds.IndexOf(StepKind.SetIds) < kinds.IndexOf(StepKind.CapSet));
        Assert.True(kinds.IndexOf(StepKind.PivotRoot) < kinds.IndexOf(StepKind.SetIds));
        Assert.Equal(StepKind.Exec, kinds[^1]);
    }

    [Fact]
    public void A_read_only_bind_mount_is_bound_then_remounted_read_only()
    {
        Spec spec = MinimalSpec();
        spec.Mounts = [new Mount { Destination = "/data", Type = "bind", Source = "/srv/data", Options = ["rbind", "ro", "nosuid"] }];
        Step mount = Plan(spec).Steps.Single(s => s.Kind == StepKind.MountInRoot);
        Assert.Equal("data", mount.S2);
        Assert.Equal(4096 | 16384, mount.A);
        Assert.Equal(4096 | 32 | 1 | 2, mount.C);
        Assert.Equal((long)PathCreate.Directory, mount.B);
    }

    [Fact]
    public void Masked_and_readonly_paths_come_before_pivot_root()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.MaskedPaths = ["/proc/kcore"];
        spec.Linux.ReadonlyPaths = ["/proc/sys"];
        List<StepKind> kinds = Kinds(Plan(spec));
        Assert.True(kinds.IndexOf(StepKind.MaskPath) < kinds.IndexOf(StepKind.PivotRoot));
        Assert.True(kinds.IndexOf(StepKind.ReadonlyPath) < kinds.IndexOf(StepKind.PivotRoot));
    }

    [Fact]
    public void Devices_are_bound_not_created_in_a_user_namespace()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "user" });
        spec.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        spec.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        LaunchPlan plan = Plan(spec);
        Assert.DoesNotContain(StepKind.Mknod, Kinds(plan));
        Assert.Contains(plan.Steps, s => s.Kind == StepKind.BindDevice && s.S2 == "/dev/null");
        Assert.True(plan.NewUserNamespace);
    }

    [Fact]
    public void Device_numbers_are_encoded_like_makedev()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Devices = [new LinuxDevice { Type = "c", Path = "/dev/fuse", Major = 10, Minor = 229, FileMode = 0x1B6 }];
        Step fuse = Plan(spec).Steps.Single(s => s.Kind == StepKind.Mknod && s.S1 == "dev/fuse");
        Assert.Equal((10L << 8) | 229, fuse.B);
        Assert.Equal(0x2000 | 0x1B6, fuse.A);
    }

    [Fact]
    public void A_net_sysctl_is_allowed_in_a_network_namespace_joined_by_path()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Namespaces![4] = new LinuxNamespace { Type = "network", Path = "/run/netns/podman" };
        spec.Linux.Sysctl = new() { ["net.ipv4.ping_group_range"] = "0 0" };
        LaunchPlan plan = Plan(spec, new Dictionary<string, int> { ["network"] = 20 });
        Assert.Contains(plan.Steps, s => s.Kind == StepKind.WriteFile && s.S1 == "/proc/sys/net/ipv4/ping_group_range");
    }

    [Fact]
    public void Seccomp_loads_last_before_exec_with_no_new_privileges()
    {
        Spec spec = MinimalSpec();
        spec.Process!.NoNewPrivileges = true;
        spec.Linux!.Seccomp = new Oci.Runtime.Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO" }],
        };
        List<StepKind> kinds = Kinds(Plan(spec));
        Assert.Equal([StepKind.UnblockSignals, StepKind.Seccomp, StepKind.Exec], kinds[^3..]);
    }

    [Fact]
    public void Without_no_new_privileges_the_filter_still_comes_last_with_CAP_SYS_ADMIN_kept_for_it_and_dropped_after()
    {
        Spec spec = MinimalSpec();
        spec.Process!.User = new User { Uid = 1000 };
        spec.Process.Capabilities = new Capabilities { Effective = ["CAP_KILL"], Permitted = ["CAP_KILL"], Bounding = ["CAP_KILL"] };
        spec.Linux!.Seccomp = new Oci.Runtime.Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO" }],
        };
        List<Step> steps = Plan(spec).Steps.ToList();
        List<StepKind> kinds = steps.Select(s => s.Kind).ToList();
        // Nothing a profile may deny runs after the filter: only the capset that gives CAP_SYS_ADMIN up, then execve.
        Assert.Equal([StepKind.UnblockSignals, StepKind.Seccomp, StepKind.CapSet, StepKind.Exec], kinds[^4..]);
        Assert.True(kinds.IndexOf(StepKind.SetIds) < kinds.IndexOf(StepKind.Seccomp));
        Assert.True(kinds.IndexOf(StepKind.CloseFrom) < kinds.IndexOf(StepKind.Seccomp));
        long sysAdmin = 1L << 21, kill = 1L << 5;
        Step interim = steps.First(s => s.Kind == StepKind.CapSet);
        Assert.Equal(sysAdmin | kill, interim.A);
        Assert.Equal(sysAdmin | kill, interim.B);
        Step final = steps[^2];
        Assert.Equal(kill, final.A);
        Assert.Equal(kill, final.B);
    }

    [Theory]
    [InlineData("hostname without uts")]
    [InlineData("seccomp notify on sendmsg")]
    [InlineData("seccomp unknown action")]
    [InlineData("mappings without user namespace")]
    [InlineData("unknown namespace")]
    [InlineData("host sysctl")]
    public void Invalid_configs_are_refused_with_a_reason(string problem)
    {
        Spec spec = MinimalSpec();
        switch (problem)
        {
            case "hostname without uts": spec.Hostname = "x"; spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "uts"); break;
            case "seccomp notify on sendmsg":
                spec.Linux!.Seccomp = new Oci.Runtime.Seccomp
                {
                    DefaultAction = "SCMP_ACT_ALLOW", ListenerPath = "/l",
                    Syscalls = [new SeccompSyscall { Names = ["sendmsg"], Action = "SCMP_ACT_NOTIFY" }],
                };
                break;
            case "seccomp unknown action": spec.Linux!.Seccomp = new Oci.Runtime.Seccomp { DefaultAction = "SCMP_ACT_BOGUS" }; break;
            case "mappings without user namespace": spec.Linux!.UidMappings = [new IdMapping { Size = 1 }]; break;
            case "unknown namespace": spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "bogus" }); break;
            case "host sysctl": spec.Linux!.Sysctl = new() { ["kernel.panic"] = "1" }; break;
        }
        var e = Assert.Throws<RuntimeException>(() => Plan(spec));
        Assert.StartsWith("config.json:", e.Message);
    }
    [Theory]
    [InlineData("/proc/kcore")]
    [InlineData("/proc/sys/kernel/core_pattern")]
    [InlineData("/proc/1/root")]
    public void A_bind_into_proc_is_refused(string destination)
    {
        Spec spec = MinimalSpec();
        spec.Mounts = [new Mount { Destination = destination, Type = "bind", Source = "/etc/hostname", Options = ["bind"] }];
        var e = Assert.Throws<RuntimeException>(() => Plan(spec));
        Assert.Contains($"\"{destination}\" cannot be mounted because it is inside /proc", e.Message);
    }

    [Theory]
    [InlineData("/proc/uptime")]
    [InlineData("/proc/meminfo")]
    [InlineData("/proc/net/dev")]
    public void A_bind_over_a_file_lxcfs_emulates_is_planned(string destination)
    {
        Spec spec = MinimalSpec();
        spec.Mounts = [new Mount { Destination = destination, Type = "bind", Source = "/etc/hostname", Options = ["bind"] }];
        Assert.Contains(Plan(spec).Steps, s => s.Kind == StepKind.MountInRoot && s.S2 == destination.TrimStart('/'));
    }

    [Fact]
    public void Only_a_procfs_may_be_bound_over_proc()
    {
        Spec spec = MinimalSpec();
        spec.Mounts = [new Mount { Destination = "/proc", Type = "bind", Source = "/etc", Options = ["rbind"] }];
        var e = Assert.Throws<RuntimeException>(() => Plan(spec));
        Assert.Contains("\"/proc\" cannot be mounted because it is not of type proc", e.Message);

        spec.Mounts = [new Mount { Destination = "/proc", Type = "bind", Source = "/proc", Options = ["rbind"] }];
        Assert.Contains(Plan(spec).Steps, s => s.Kind == StepKind.MountInRoot && s.S2 == "proc");
    }

    [Fact]
    public void A_bind_source_the_parent_opened_is_moved_by_the_child_and_kept_open_until_then()
    {
        Spec spec = MinimalSpec();
        spec.Mounts =
        [
            new Mount { Destination = "/a", Type = "bind", Source = "/etc", Options = ["rbind"] },
            new Mount { Destination = "/b", Type = "bind", Source = "/etc/hostname", Options = ["bind"] },
        ];
        LaunchPlan plan = LaunchPlanner.Plan(new LaunchInputs(spec, "/bundle", "/bundle/rootfs", new LaunchFds(10, 11, true, -1, 12)
        {
            BindSources = new Dictionary<int, int> { [1] = 40 },
        }) { Paths = HostFiles });

        Assert.Equal(-1, plan.Steps.Single(s => s.Kind == StepKind.MountInRoot && s.S2 == "a").Fd);
        Assert.Equal(40, plan.Steps.Single(s => s.Kind == StepKind.MountInRoot && s.S2 == "b").Fd);
        Step close = plan.Steps[0];
        Assert.Equal(StepKind.CloseInherited, close.Kind);
        int[] kept = Enumerable.Range(0, (int)close.B).Select(i => BitConverter.ToInt32(close.Bytes1!, i * 4)).ToArray();
        Assert.Contains(40, kept);
    }
}
