using System.Runtime.InteropServices;
using Skiff.Oci.Runtime;
using Skiff.Runtime;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

/// <summary>
/// The host the planner is told about, not the one the test runs on, decides the plan: every fact
/// here is data (the bundle and rootfs paths do not exist), and the child's view of the plan is read
/// back from the lowered arena.
/// </summary>
public unsafe class HostFactsTests
{
    private static Spec MinimalSpec() => new()
    {
        OciVersion = "1.2.0",
        Root = new Root { Path = "rootfs" },
        Process = new Process { Args = ["sh"], Cwd = "/", Env = ["PATH=/bin:/usr/bin"] },
        Linux = new Oci.Runtime.Linux { Namespaces = [new() { Type = "pid" }, new() { Type = "mount" }] },
    };

    private static Spec SpecWithRdt(bool rdt)
    {
        Spec spec = MinimalSpec();
        spec.Linux!.IntelRdt = rdt ? new IntelRdt { ClosId = "skiff-test" } : null;
        return spec;
    }

    private static LaunchPlan Plan(Spec spec, HostFacts? host = null, PathFacts? paths = null) =>
        LaunchPlanner.Plan(new LaunchInputs(spec, "/nonexistent-bundle", "/nonexistent-bundle/rootfs", new LaunchFds(10, 11, true, -1, 12))
            { Host = host ?? HostFacts.None, Paths = paths ?? PathFacts.None });

    private static string? Text(byte* text) => text == null ? null : Marshal.PtrToStringUTF8((nint)text);

    /// <summary>The mount steps as the child reads them: target, what is made there, how it is reached, the data.</summary>
    private static List<(string? Target, PathCreate Create, MountInRootOptions Options, string? Data)> Mounts(LaunchPlan plan)
    {
        using var native = new NativePlan(plan.Steps, 10);
        var mounts = new List<(string?, PathCreate, MountInRootOptions, string?)>();
        for (int i = 0; i < native.Context->Count; i++)
        {
            RawStep* step = native.Context->Steps + i;
            if (step->Kind != StepKind.MountInRoot) continue;
            MountInRootArgs m = step->MountInRoot;
            mounts.Add((Text(m.Target), m.Create, m.Options, Text(m.Data)));
        }
        return mounts;
    }

    /// <summary>The environment execve will be given, as the child reads it.</summary>
    private static List<string> ExecEnvironment(LaunchPlan plan)
    {
        using var native = new NativePlan(plan.Steps, 10);
        RawStep* exec = native.Context->Steps + (native.Context->Count - 1);
        Assert.Equal(StepKind.Exec, exec->Kind);
        var env = new List<string>();
        for (byte** item = exec->Exec.Envp; *item != null; item++) env.Add(Text(*item)!);
        return env;
    }

    [Fact]
    public void Intel_rdt_on_a_host_without_resctrl_is_refused_by_name()
    {
        var e = Assert.Throws<RuntimeException>(() => Plan(SpecWithRdt(true), new HostFacts(Resctrl: false)));
        Assert.Equal("config.json: linux.intelRdt is set, but this host has no resctrl filesystem", e.Message);
    }

    [Fact]
    public void Intel_rdt_on_a_host_with_resctrl_plans_the_same_child_steps_as_without_it()
    {
        LaunchPlan with = Plan(SpecWithRdt(true), new HostFacts(Resctrl: true));
        LaunchPlan without = Plan(SpecWithRdt(false), new HostFacts(Resctrl: false));
        Assert.Equal(without.CloneFlags, with.CloneFlags);
        Assert.Equal(without.Steps.Select(s => (s.Kind, s.Description)), with.Steps.Select(s => (s.Kind, s.Description)));
    }

    [Fact]
    public void A_file_source_is_bound_onto_a_new_file_and_a_directory_source_onto_a_new_directory()
    {
        Spec spec = MinimalSpec();
        spec.Mounts =
        [
            new Mount { Destination = "/etc/resolv.conf", Type = "bind", Source = "/run/resolv.conf", Options = ["rbind"] },
            new Mount { Destination = "/data", Type = "bind", Source = "volume", Options = ["rbind"] },
        ];
        var paths = new PathFacts
        {
            BindSources = new Dictionary<string, BindSource>
            {
                ["/run/resolv.conf"] = new(SourceKind.File),
                ["/nonexistent-bundle/volume"] = new(SourceKind.Directory),
            },
        };
        Assert.Equal(
            [("etc/resolv.conf", PathCreate.File, MountInRootOptions.None, null), ("data", PathCreate.Directory, MountInRootOptions.None, null)],
            Mounts(Plan(spec, paths: paths)));
    }

    [Fact]
    public void A_bind_source_the_facts_do_not_list_is_missing()
    {
        Spec spec = MinimalSpec();
        spec.Mounts = [new Mount { Destination = "/data", Type = "bind", Source = "/etc", Options = ["rbind"] }];
        var e = Assert.Throws<RuntimeException>(() => Plan(spec));
        Assert.Equal("mount /etc to /data: source /etc: no such file or directory", e.Message);
    }

    [Fact]
    public void Home_comes_from_the_given_passwd_for_the_process_uid()
    {
        Spec spec = MinimalSpec();
        spec.Process!.User = new User { Uid = 1000, Gid = 1000 };
        var paths = new PathFacts { Passwd = "root:x:0:0:root:/root:/bin/sh\r\nbroken line\nu:x:1000:1000::/home/u:/bin/sh\n" };
        Assert.Equal(["PATH=/bin:/usr/bin", "HOME=/home/u"], ExecEnvironment(Plan(spec, paths: paths)));

        Assert.Equal(["PATH=/bin:/usr/bin", "HOME=/"], ExecEnvironment(Plan(spec)));
        spec.Process.User = new User { Uid = 7 };
        Assert.Equal(["PATH=/bin:/usr/bin", "HOME=/"], ExecEnvironment(Plan(spec, paths: paths)));
        spec.Process.Env = ["HOME=/mine"];
        Assert.Equal(["HOME=/mine"], ExecEnvironment(Plan(spec, paths: paths)));
    }

    [Fact]
    public void An_apparmor_profile_is_applied_where_the_facts_say_apparmor_runs_and_refused_where_not()
    {
        Spec spec = MinimalSpec();
        spec.Process!.ApparmorProfile = "docker-default";
        var appArmor = new HostFacts(Resctrl: false) { Lsm = new HostSecurityModules(AppArmor: true, Selinux: false) };
        Step label = Plan(spec, appArmor).Steps.Single(s => s.Kind == StepKind.ExecLabel);
        Assert.Equal("apply AppArmor profile docker-default", label.Description);

        var e = Assert.Throws<RuntimeException>(() => Plan(spec, HostFacts.None));
        Assert.Equal("process.apparmorProfile \"docker-default\" requested, but AppArmor is not enabled on this host", e.Message);
    }

    [Fact]
    public void A_mount_label_reaches_the_mount_data_only_where_the_facts_say_selinux_runs()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.MountLabel = "system_u:object_r:container_file_t:s0";
        spec.Mounts = [new Mount { Destination = "/tmp", Type = "tmpfs", Source = "tmpfs", Options = ["mode=1777"] }];
        var selinux = new HostFacts(Resctrl: false) { Lsm = new HostSecurityModules(AppArmor: false, Selinux: true) };
        Assert.Equal("mode=1777,context=\"system_u:object_r:container_file_t:s0\"", Mounts(Plan(spec, selinux)).Single().Data);
        Assert.Equal("mode=1777", Mounts(Plan(spec, HostFacts.None)).Single().Data);
    }

    [Fact]
    public void Proc_goes_onto_an_ordinary_directory_as_the_facts_describe_the_rootfs()
    {
        Spec spec = MinimalSpec();
        spec.Mounts = [new Mount { Destination = "/proc", Type = "proc", Source = "proc" }];
        Assert.Equal([("proc", PathCreate.Directory, MountInRootOptions.NoSymlinks, null)], Mounts(Plan(spec)));

        var linked = new PathFacts { IrregularProcDestinations = new HashSet<string> { "/proc" } };
        var e = Assert.Throws<RuntimeException>(() => Plan(spec, paths: linked));
        Assert.Equal("mount proc to /proc: filesystem \"proc\" must be mounted on ordinary directory", e.Message);
    }

    [Fact]
    public void Only_a_source_the_facts_put_on_procfs_may_be_bound_over_proc()
    {
        Spec spec = MinimalSpec();
        spec.Mounts = [new Mount { Destination = "/proc", Type = "bind", Source = "/host/proc", Options = ["rbind"] }];
        var onProcfs = new PathFacts { BindSources = new Dictionary<string, BindSource> { ["/host/proc"] = new(SourceKind.Directory, OnProcfs: true) } };
        Assert.Equal("proc", Mounts(Plan(spec, paths: onProcfs)).Single().Target);

        var elsewhere = new PathFacts { BindSources = new Dictionary<string, BindSource> { ["/host/proc"] = new(SourceKind.Directory) } };
        var e = Assert.Throws<RuntimeException>(() => Plan(spec, paths: elsewhere));
        Assert.Contains("\"/proc\" cannot be mounted because it is not of type proc", e.Message);
    }

    [Fact]
    public void A_capability_above_the_kernels_last_one_is_ignored_with_a_warning()
    {
        Spec spec = MinimalSpec();
        spec.Process!.Capabilities = new Capabilities { Bounding = ["CAP_CHOWN", "CAP_BPF"], Effective = ["CAP_BPF"] };
        LaunchPlan old = Plan(spec, new HostFacts(Resctrl: false) { LastCapability = 37 });
        Assert.Equal(["ignoring capability CAP_BPF: not known to this kernel", "ignoring capability CAP_BPF: not known to this kernel"], old.Warnings);
        Step drop = old.Steps.Single(s => s.Kind == StepKind.DropBounding);
        Assert.Equal((1L, 37L), (drop.A, drop.B));

        LaunchPlan current = Plan(spec, HostFacts.None);
        Assert.Empty(current.Warnings);
        Assert.Equal(1L | 1L << 39, current.Steps.Single(s => s.Kind == StepKind.DropBounding).A);
    }

    [Fact]
    public void A_destination_leads_where_the_facts_resolve_it_and_a_loop_is_refused()
    {
        Spec spec = MinimalSpec();
        spec.Process!.Cwd = "/work/./src/..";
        spec.Mounts = [new Mount { Destination = "/escape/mnt", Type = "tmpfs", Source = "tmpfs" }];
        Assert.Equal("escape/mnt", Mounts(Plan(spec)).Single().Target);
        Assert.Equal("work", Plan(spec).Steps.Single(s => s.Kind == StepKind.EnsureDirectory).S1);

        var linked = new PathFacts { Resolved = new Dictionary<string, string> { ["/escape/mnt"] = "etc/mnt" } };
        Assert.Equal("etc/mnt", Mounts(Plan(spec, paths: linked)).Single().Target);

        var loop = new PathFacts { Unresolvable = new HashSet<string> { "/escape/mnt" } };
        var e = Assert.Throws<RuntimeException>(() => Plan(spec, paths: loop));
        Assert.Equal("resolving /escape/mnt in the rootfs: too many levels of symbolic links", e.Message);
    }

    [Fact]
    public void The_probe_reads_what_the_host_and_the_rootfs_show()
    {
        string bundle = Directory.CreateTempSubdirectory("skiff-facts-").FullName;
        try
        {
            string rootfs = Path.Combine(bundle, "rootfs");
            Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
            Directory.CreateDirectory(Path.Combine(bundle, "volume"));
            File.WriteAllText(Path.Combine(bundle, "hosts"), "127.0.0.1 localhost\n");
            File.WriteAllText(Path.Combine(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
            Directory.CreateSymbolicLink(Path.Combine(rootfs, "sys"), "/tmp");
            Directory.CreateSymbolicLink(Path.Combine(rootfs, "escape"), "/etc");
            Directory.CreateSymbolicLink(Path.Combine(rootfs, "loop"), "/loop");
            Spec spec = MinimalSpec();
            spec.Mounts =
            [
                new Mount { Destination = "/etc/hosts", Type = "bind", Source = "hosts", Options = ["rbind"] },
                new Mount { Destination = "/data", Type = "bind", Source = "volume", Options = ["rbind"] },
                new Mount { Destination = "/gone", Type = "bind", Source = "/nonexistent-source", Options = ["rbind"] },
                new Mount { Destination = "/host-proc", Type = "bind", Source = "/proc", Options = ["rbind"] },
                new Mount { Destination = "/proc", Type = "proc", Source = "proc" },
                new Mount { Destination = "/sys", Type = "sysfs", Source = "sysfs" },
                new Mount { Destination = "/escape/mnt", Type = "tmpfs", Source = "tmpfs" },
                new Mount { Destination = "/loop/x", Type = "tmpfs", Source = "tmpfs" },
            ];

            PathFacts facts = HostProbe.PathsFor(spec, bundle, rootfs);
            Assert.Equal(new BindSource(SourceKind.File), facts.BindSources[Path.Combine(bundle, "hosts")]);
            Assert.Equal(new BindSource(SourceKind.Directory), facts.BindSources[Path.Combine(bundle, "volume")]);
            Assert.Equal(new BindSource(SourceKind.Missing), facts.BindSources["/nonexistent-source"]);
            Assert.Equal(new BindSource(SourceKind.Directory, OnProcfs: true), facts.BindSources["/proc"]);
            Assert.Equal(["/sys"], facts.IrregularProcDestinations);
            Assert.Equal("root:x:0:0:root:/root:/bin/sh\n", facts.Passwd);
            Assert.Equal(new Dictionary<string, string> { ["/escape/mnt"] = "etc/mnt" }, facts.Resolved);
            Assert.Equal(["/loop/x"], facts.Unresolvable);

            spec.Process!.Env = ["HOME=/root"];
            Assert.Null(HostProbe.PathsFor(spec, bundle, rootfs).Passwd);
        }
        finally { Directory.Delete(bundle, recursive: true); }
    }
}
