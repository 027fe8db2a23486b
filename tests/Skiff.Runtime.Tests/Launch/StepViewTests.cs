using System.Runtime.InteropServices;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

/// <summary>
/// Each kind's factory and the child's view of it name the same slots: what a factory is given is
/// what the child reads back by name from the lowered arena.
/// </summary>
public unsafe class StepViewTests
{
    private static string? Text(byte* text) => text == null ? null : Marshal.PtrToStringUTF8((nint)text);

    private static List<string> Texts(byte** vector)
    {
        var items = new List<string>();
        for (byte** item = vector; *item != null; item++) items.Add(Text(*item)!);
        return items;
    }

    /// <summary>Lowers one step and hands the child's copy of it to check.</summary>
    private static void Lowered(Step step, Action<nint> check)
    {
        using var native = new NativePlan([step], 3);
        Assert.Equal(step.Kind, native.Context->Steps->Kind);
        check((nint)native.Context->Steps);
    }

    private static RawStep* Raw(nint at) => (RawStep*)at;

    [Fact]
    public void A_mount_in_root_reads_back_by_name()
    {
        Step step = Step.MountInRoot("mount tmpfs to /run", "tmpfs", "run", "tmpfs", 6, "size=1m", PathCreate.File,
            MountInRootOptions.NoSymlinks | MountInRootOptions.CopyUp, remountFlags: 33, attrSet: 1, propagation: 1 << 18, detachedSource: 9);
        Lowered(step, at =>
        {
            MountInRootArgs m = Raw(at)->MountInRoot;
            Assert.Equal(("tmpfs", "run", "tmpfs", "size=1m"), (Text(m.Source), Text(m.Target), Text(m.FsType), Text(m.Data)));
            Assert.Equal(6, m.Flags);
            Assert.Equal(PathCreate.File, m.Create);
            Assert.Equal(MountInRootOptions.NoSymlinks | MountInRootOptions.CopyUp, m.Options);
            Assert.Equal((33L, 1L, 1L << 18, 9), (m.RemountFlags, m.AttrSet, m.Propagation, m.DetachedSource));
        });
        Lowered(Step.MountInRoot("bind", "/src", "dst", null, 4096, null, PathCreate.Directory), at =>
        {
            MountInRootArgs m = Raw(at)->MountInRoot;
            Assert.Equal((PathCreate.Directory, MountInRootOptions.None, -1), (m.Create, m.Options, m.DetachedSource));
            Assert.Null(Text(m.FsType));
        });
    }

    [Fact]
    public void Devices_links_and_host_mounts_read_back_by_name()
    {
        Lowered(Step.Mknod("create device /dev/fuse", "dev/fuse", 0x2000 | 0x1B6, 0xA0E5, 7, 8), at =>
        {
            MknodArgs n = Raw(at)->Mknod;
            Assert.Equal(("dev/fuse", 0x2000L | 0x1B6, 0xA0E5L, 7L, 8L), (Text(n.Path), n.Mode, n.Device, n.Uid, n.Gid));
        });
        Lowered(Step.BindDevice("bind device /dev/null", "dev/null", "/dev/null"), at =>
            Assert.Equal(("dev/null", "/dev/null"), (Text(Raw(at)->BindDevice.Path), Text(Raw(at)->BindDevice.HostPath))));
        Lowered(Step.Symlink("symlink /dev/ptmx -> pts/ptmx", "pts/ptmx", "dev/ptmx", SymlinkExisting.Replace), at =>
        {
            SymlinkArgs l = Raw(at)->Symlink;
            Assert.Equal(("pts/ptmx", "dev/ptmx", SymlinkExisting.Replace), (Text(l.Target), Text(l.Link), l.Existing));
        });
        Lowered(Step.MountHost("make / a slave of the host", null, "/", 1 << 19), at =>
        {
            MountHostArgs m = Raw(at)->MountHost;
            Assert.Equal(("/", 1L << 19), (Text(m.Target), m.Flags));
            Assert.True(m.Source == null && m.FsType == null && m.Data == null);
        });
        Lowered(Step.RemountInRoot("remount", "sys/fs/cgroup", 33), at =>
            Assert.Equal(("sys/fs/cgroup", 33L), (Text(Raw(at)->RemountInRoot.Path), Raw(at)->RemountInRoot.Flags)));
    }

    [Fact]
    public void The_protocol_steps_read_back_by_name()
    {
        Lowered(Step.CloseInherited("close", 5, [4, 7, 9]), at =>
        {
            CloseInheritedArgs c = Raw(at)->CloseInherited;
            Assert.Equal((5L, 3), (c.From, c.KeptCount));
            Assert.Equal([4, 7, 9], new ReadOnlySpan<int>(c.Kept, c.KeptCount).ToArray());
        });
        Lowered(Step.Notify("ready", 10, SyncKind.Ready), at => Assert.Equal((10, SyncKind.Ready), (Raw(at)->Notify.Socket, Raw(at)->Notify.Message)));
        Lowered(Step.WaitStart("wait", 11, StartSignal.ExecFifo), at => Assert.Equal((11, StartSignal.ExecFifo), (Raw(at)->WaitStart.Fd, Raw(at)->WaitStart.Signal)));
        Lowered(Step.SetNs("join net", 30, 0x40000000), at => Assert.Equal((30, 0x40000000L), (Raw(at)->SetNs.Namespace, Raw(at)->SetNs.CloneFlag)));
        Lowered(Step.Console("console", 12, 24, 80, ConsoleFor.Exec), at =>
        {
            ConsoleArgs c = Raw(at)->Console;
            Assert.Equal((12, 24L, 80L, ConsoleFor.Exec), (c.Socket, c.Rows, c.Columns, c.For));
        });
        Lowered(Step.RunHook("hook", "/bin/hook", ["hook", "a"], ["X=1"], 5, 12), at =>
        {
            RunHookArgs h = Raw(at)->RunHook;
            Assert.Equal(("/bin/hook", 5L, 12), (Text(h.Path), h.TimeoutSeconds, h.State));
            Assert.Equal(["hook", "a"], Texts(h.Argv));
            Assert.Equal(["X=1"], Texts(h.Envp));
        });
    }

    [Fact]
    public void The_process_steps_read_back_by_name()
    {
        Lowered(Step.SetIds("ids", 1000, 100), at => Assert.Equal((1000L, 100L), (Raw(at)->SetIds.Uid, Raw(at)->SetIds.Gid)));
        Lowered(Step.SetGroups("groups", [5u, 6u]), at =>
            Assert.Equal([5, 6], new ReadOnlySpan<int>(Raw(at)->SetGroups.Gids, (int)Raw(at)->SetGroups.Count).ToArray()));
        Lowered(Step.CapSet("caps", 1, 2, 4), at =>
        {
            CapSetArgs c = Raw(at)->CapSet;
            Assert.Equal((1L, 2L, 4L), (c.Effective, c.Permitted, c.Inheritable));
        });
        Lowered(Step.Rlimit("nofile", 7, 1024, 4096), at =>
        {
            RlimitArgs l = Raw(at)->Rlimit;
            Assert.Equal((7L, 1024L, 4096L), (l.Resource, l.Soft, l.Hard));
        });
        Lowered(Step.ExecLabel("label", "thread-self/attr/apparmor/exec", "thread-self/attr/exec", "exec p"), at =>
        {
            ExecLabelArgs l = Raw(at)->ExecLabel;
            Assert.Equal(("thread-self/attr/apparmor/exec", "thread-self/attr/exec", "exec p", 6L),
                (Text(l.Attribute), Text(l.Fallback), Text(l.Value), l.Length));
        });
        Lowered(Step.SeccompNotify("filter", [1, 2, 3, 4, 5, 6, 7, 8], 1, 8, 10, "/run/agent.sock", "meta"), at =>
        {
            SeccompArgs f = Raw(at)->SeccompNotify;
            Assert.Equal((1L, 8L, 10), (f.Instructions, f.Flags, f.Socket));
            Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], new ReadOnlySpan<byte>(f.Filter, 8).ToArray());
        });
        Lowered(Step.ResolveExecutable("exec", "sh", ["/bin/sh", "/usr/bin/sh"]), at =>
            Assert.Equal(["/bin/sh", "/usr/bin/sh"], Texts(Raw(at)->ResolveExecutable.Candidates)));
        Lowered(Step.Exec("exec", ["sh", "-c", "true"], ["A=1"]), at =>
        {
            Assert.Equal(["sh", "-c", "true"], Texts(Raw(at)->Exec.Argv));
            Assert.Equal(["A=1"], Texts(Raw(at)->Exec.Envp));
        });
        Lowered(Step.SetHostname("hostname", "höst"), at =>
            Assert.Equal(("höst", 5L), (Text(Raw(at)->SetHostname.Name), Raw(at)->SetHostname.Length)));
        Lowered(Step.Affinity("cpus", [0b11, 0]), at =>
            Assert.Equal((2L, (byte)0b11), (Raw(at)->Affinity.Length, *Raw(at)->Affinity.Mask)));
    }

    [Fact]
    public void The_listener_address_is_read_back_by_the_parent()
    {
        Step step = Step.SeccompNotify("filter", [0, 0, 0, 0, 0, 0, 0, 0], 1, 8, 10, "/run/agent.sock", "meta");
        Assert.Equal(("/run/agent.sock", "meta"), step.SeccompListener);
        Assert.Equal(((string?)null, (string?)null), Step.Chdir("cd", "/").SeccompListener);
    }
}
