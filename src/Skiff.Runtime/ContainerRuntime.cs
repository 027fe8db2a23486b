using Skiff.Cgroups;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Lifecycle;
using Skiff.Runtime.Launch;
using Skiff.Runtime.Store;

namespace Skiff.Runtime;

/// <summary>The runtime's verbs, as runc defines them, over the container store under --root.</summary>
public sealed partial class ContainerRuntime(RuntimeOptions options)
{
    private readonly ContainerStore _store = new(options.Root);
    private CgroupLayout? _layout;
    private MountTable? _mounts;

    /// <summary>Written to for warnings and debug lines; the CLI points it at --log.</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Written to for debug lines (shown with --debug).</summary>
    public Action<string>? Debug { get; init; }

    private CgroupLayout Layout => _layout ??= CgroupLayout.Detect(HostMountTable);

    // Read once per process: the cgroup layout and the rootfs's parent mount both come from it.
    private MountTable HostMountTable => _mounts ??= MountTable.Read();

    public int Create(CreateOptions o)
    {
        using Launched launched = Launch(o, foreground: false);
        return 0;
    }

    public void Start(string id)
    {
        using ContainerLock _ = _store.Lock(id);
        ContainerRecord record = _store.Load(id);
        string status = StatusOf(record);
        if (status != ContainerStatus.Created)
            throw new RuntimeException(status == ContainerStatus.Stopped
                ? "cannot start a container that has stopped"
                : $"cannot start an already {status} container");
        StartFifo.Signal(_store.FifoOf(id), id);
        HookRunner.RunAllWarning(record.Hooks?.Poststart, "poststart", record.ToState(ContainerStatus.Running), Warn);
    }

    public int Run(CreateOptions o, bool detach)
    {
        if (detach)
        {
            using (Launched launched = Launch(o, foreground: false)) { }
            Start(o.Id);
            return 0;
        }
        // The container's process may be a grandchild (joined or time namespaces): adopt it to wait for it.
        Interop.Libc.Prctl(Kernel.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        int status;
        ContainerRecord record;
        // A failed launch has removed what it made; only what fails after it is ours to delete
        // (deleting on a launch failure would remove the existing container of a duplicate id).
        using (Launched launched = Launch(o, foreground: true))
        {
            record = launched.Record;
            try
            {
                using ConsoleRelay? relay = launched.ConsoleMaster >= 0 ? new ConsoleRelay(launched.ConsoleMaster) : null;
                launched.Session!.Release();
                HookRunner.RunAllWarning(record.Hooks?.Poststart, "poststart", record.ToState(ContainerStatus.Running), Warn);
                using var forwarder = new SignalForwarder(record.Pid);
                status = ExitWaiter.Wait(record.Pid);
                relay?.Drain();
            }
            catch (Exception e) when (e is RuntimeException or SystemCallException)
            {
                Delete(o.Id, force: true);
                throw e as RuntimeException ?? new RuntimeException(ErrorText.Describe(e), e);
            }
        }
        // state.json holds the record this process wrote last (only create writes it): no need to read it back.
        if (!o.Keep) Delete(o.Id, force: true, written: record);
        return ExitWaiter.ExitCode(status);
    }

    public Oci.Runtime.State State(string id)
    {
        ContainerRecord record = LoadExisting(id);
        return record.ToState(StatusOf(record));
    }

    public void Kill(string id, int signal, bool all)
    {
        if (signal is <= 0 or > Signal.Max) throw new RuntimeException($"invalid signal {signal}");
        ContainerRecord record = LoadExisting(id);
        string status = StatusOf(record);
        if (all)
        {
            SignalAll(record, signal);
            return;
        }
        if (status is ContainerStatus.Stopped or ContainerStatus.Creating)
            throw new RuntimeException("container not running");
        if (Interop.Libc.Kill(record.Pid, signal) != 0) throw SystemCallException.Last($"kill {id} (pid {record.Pid})");
        if (status is ContainerStatus.Paused) ThawAfterKill(record, signal);
    }

    public void Delete(string id, bool force) => Delete(id, force, written: null);

    /// <param name="written">The record this process wrote last, when it has one, so that state.json is not read back.</param>
    private void Delete(string id, bool force, ContainerRecord? written)
    {
        ContainerStore.ValidateId(id);
        using ContainerLock? held = _store.TryLock(id);
        if (held is null)
        {
            if (!force) throw new RuntimeException($"container \"{id}\" does not exist");
            _store.RemoveUnclaimed(id);
            return;
        }
        string? corruption = null;
        ContainerRecord? record = written ?? _store.TryLoad(id, out corruption);
        if (record is null && corruption is null)
        {
            // Killed between claiming the id and writing its first record: nothing was started.
            _store.Remove(id);
            return;
        }
        if (record is null)
        {
            if (!force) throw new RuntimeException($"{corruption}; delete --force kills whatever runs in the container's cgroup and removes it");
            record = Recover(id, corruption!);
        }
        string status = StatusOf(record);
        if (status is ContainerStatus.Running or ContainerStatus.Paused && !force)
            throw new RuntimeException($"cannot delete container {id} that is not stopped: {status}");
        ICgroup cgroup = OpenCgroup(record);
        KillEverything(record, cgroup);
        try { cgroup.Destroy(); }
        catch (CgroupException e) { throw new RuntimeException($"deleting container {id}: {e.Message}", e); }
        _store.Remove(id);
        HookRunner.RunAllWarning(record.Hooks?.Poststop, "poststop", record.ToState(ContainerStatus.Stopped), Warn);
    }

    /// <summary>
    /// What a corrupt state.json leaves to go on: the stored config's cgroupsPath, which holds every
    /// process of the container (a relative one resolved from this runtime's own cgroup). Without
    /// it the container's processes cannot be found, and removing the record would orphan them.
    /// </summary>
    private ContainerRecord Recover(string id, string corruption)
    {
        Spec config;
        try { config = _store.LoadConfig(id); }
        catch (RuntimeException e)
        {
            throw new RuntimeException($"{corruption}; its processes cannot be found either ({e.Message}): stop them and remove {_store.DirectoryOf(id)} by hand");
        }
        Warn?.Invoke($"{corruption}: killing what runs in the cgroup of its config.json");
        return new ContainerRecord { Id = id, CgroupsPath = config.Linux?.CgroupsPath ?? "", Hooks = config.Hooks };
    }

    /// <summary>Every container under --root; one whose state.json is unreadable is listed too, its status "unknown".</summary>
    public IReadOnlyList<ContainerSummary> List()
    {
        var summaries = new List<ContainerSummary>();
        foreach (string id in _store.Ids())
        {
            if (_store.TryLoad(id, out string? corruption) is { } record)
                summaries.Add(new ContainerSummary(record.ToState(StatusOf(record)), record.Rootfs, record.Created, record.Owner));
            else if (corruption is not null)
            {
                Warn?.Invoke(corruption);
                summaries.Add(new ContainerSummary(new Oci.Runtime.State { Id = id, Status = "unknown" }, "", Directory.GetLastWriteTimeUtc(_store.DirectoryOf(id)), ""));
            }
        }
        return summaries;
    }

    private ContainerRecord LoadExisting(string id)
    {
        ContainerStore.ValidateId(id);
        return _store.Load(id);
    }

    private ICgroup OpenCgroup(ContainerRecord record)
    {
        CgroupLayout layout = record.CreatorCgroup is { } creator ? Layout.AsSeenFrom(creator) : Layout;
        try { return Cgroup.Open(layout, record.CgroupsPath, record.Id, options.SystemdCgroup); }
        catch (CgroupException e) { throw new RuntimeException(e.Message, e); }
    }

    private string StatusOf(ContainerRecord record)
    {
        if (!ProcessInfo.IsAlive(record.Pid, record.PidStartTime)) return ContainerStatus.Stopped;
        if (record.Status == ContainerStatus.Creating) return ContainerStatus.Creating;
        // Frozen first: a created container can be paused too, and runc reports it paused.
        try { if (OpenCgroup(record).IsFrozen()) return ContainerStatus.Paused; }
        catch (Exception e) when (e is RuntimeException or CgroupException or IOException) { }
        if (File.Exists(_store.FifoOf(record.Id))) return ContainerStatus.Created;
        return ContainerStatus.Running;
    }

    /// <summary>SIGKILL to every process of the container, thawed so they can die, and waits until they have.</summary>
    private static void KillEverything(ContainerRecord record, ICgroup cgroup)
    {
        if (ProcessInfo.IsAlive(record.Pid, record.PidStartTime)) Interop.Libc.Kill(record.Pid, Signal.SIGKILL);
        for (int round = 0; round < 500; round++)
        {
            IReadOnlyList<int> pids;
            try { pids = cgroup.Processes(); }
            catch (CgroupException) { return; }
            if (pids.Count == 0) return;
            foreach (int pid in pids) Interop.Libc.Kill(pid, Signal.SIGKILL);
            try { if (cgroup.IsFrozen()) cgroup.Thaw(); }
            catch (CgroupException) { }
            Thread.Sleep(round < 50 ? 1 : 10);
        }
    }

    /// <summary>A container launched to the point of waiting for start, with what the caller still needs.</summary>
    private sealed class Launched(ContainerRecord record) : IDisposable
    {
        public ContainerRecord Record { get; } = record;
        public LaunchSession? Session { get; set; }
        public int ConsoleMaster { get; set; } = -1;
        public int ConsoleReceiver { get; set; } = -1;
        public List<int> Fds { get; } = [];
        public int ParentSocket { get; set; } = -1;
        public int ChildSocket { get; set; } = -1;

        public int TakeParentSocket() { int fd = ParentSocket; ParentSocket = -1; return fd; }
        public int TakeChildSocket() { int fd = ChildSocket; ChildSocket = -1; return fd; }

        public void Dispose()
        {
            Session?.Dispose();
            foreach (int fd in (ReadOnlySpan<int>)[.. Fds, ParentSocket, ChildSocket])
                if (fd >= 0) Interop.Libc.Close(fd);
        }
    }

    private Launched Launch(CreateOptions o, bool foreground)
    {
        if (options.SealBinary) SealedExecutable.Ensure(); // no path back to the runtime's binary from the container (CVE-2019-5736)
        Bundle bundle = Bundle.Load(o.BundlePath);
        Spec spec = bundle.Spec;
        bool terminal = spec.Process!.Terminal;
        if (terminal && o.ConsoleSocket is null && !foreground)
            throw new RuntimeException("cannot allocate tty if runc will detach without setting console socket");
        if (!terminal && o.ConsoleSocket is not null)
            throw new RuntimeException("cannot use console socket if runc will not detach or allocate tty");
        if (o.PreserveFds < 0) throw new RuntimeException($"--preserve-fds {o.PreserveFds} is negative");

        using ContainerLock _ = _store.Claim(o.Id);
        var record = new ContainerRecord
        {
            Id = o.Id, Bundle = bundle.Directory, Rootfs = bundle.RootfsPath, Created = DateTimeOffset.UtcNow,
            Owner = "root", CgroupsPath = spec.Linux?.CgroupsPath ?? "",
            CreatorCgroup = Cgroup.IsRelative(spec.Linux?.CgroupsPath) ? Layout.SelfCgroup : null,
            NoNewKeyring = o.NoNewKeyring, Annotations = spec.Annotations, Hooks = spec.Hooks,
        };
        var launched = new Launched(record);
        ICgroup? cgroup = null;
        try
        {
            _store.Save(record);
            _store.SaveConfig(o.Id, bundle.ConfigBytes);
            cgroup = Cgroup.Open(Layout, spec.Linux?.CgroupsPath, o.Id, options.SystemdCgroup);
            cgroup.Create();
            cgroup.Apply(spec.Linux?.Resources);

            LaunchFds fds = OpenFds(o, spec, bundle.Directory, foreground, launched);
            var inputs = new LaunchInputs(spec, bundle.Directory, bundle.RootfsPath, fds)
            {
                NoPivot = o.NoPivot, NoNewKeyring = o.NoNewKeyring, PreserveFds = o.PreserveFds, ContainerId = o.Id,
                CgroupMounts = cgroup.MountSources().Select(m => new CgroupMount(m.Name, m.HostDirectory, m.IsUnified)).ToArray(),
                RootfsParentMount = HostMountTable.MountPointOf(bundle.RootfsPath),
                Host = HostProbe.HostFor(spec.Process, spec.Linux?.MountLabel, intelRdt: spec.Linux?.IntelRdt is not null), Paths = HostProbe.PathsFor(spec, bundle.Directory, bundle.RootfsPath),
            };
            LaunchPlan plan = LaunchPlanner.Plan(inputs);
            foreach (string warning in plan.Warnings) Warn?.Invoke(warning);
            foreach (string note in plan.DebugNotes) Debug?.Invoke(note);

            launched.Session = new LaunchSession(plan, spec, cgroup, launched.TakeParentSocket(), fds.State, () => record.ToState(ContainerStatus.Creating));
            launched.Session.Start(launched.TakeChildSocket(), pid =>
            {
                record.Pid = pid;
                record.PidStartTime = ProcessInfo.Read(pid)?.StartTime ?? 0;
                _store.Save(record);
            });
            // Only the child may hold the start fifo's read side, or start could never tell it died.
            if (!foreground) CloseFd(launched, fds.StartFd);
            if (launched.ConsoleReceiver >= 0) launched.ConsoleMaster = ConsoleRelay.ReceiveMaster(launched.ConsoleReceiver);

            record.Status = ContainerStatus.Created;
            _store.Save(record);
            if (o.PidFile is not null) WritePidFile(o.PidFile, record.Pid);
            return launched;
        }
        catch (Exception e) when (e is RuntimeException or CgroupException or SystemCallException or IOException or UnauthorizedAccessException)
        {
            launched.Session?.Abort();
            launched.Dispose();
            try { cgroup?.Destroy(); } catch (CgroupException) { }
            _store.Remove(o.Id);
            throw e as RuntimeException ?? new RuntimeException(ErrorText.Describe(e), e);
        }
    }

    private LaunchFds OpenFds(CreateOptions o, Spec spec, string bundleDirectory, bool foreground, Launched launched)
    {
        (launched.ParentSocket, launched.ChildSocket) = SocketPair(Kernel.SOCK_SEQPACKET);
        int childSocket = launched.ChildSocket;

        int startFd;
        if (foreground) startFd = childSocket;
        else
        {
            string fifo = _store.FifoOf(o.Id);
            if (Interop.Libc.MkFifo(fifo, 0x180) != 0) throw SystemCallException.Last($"creating {fifo}");
            startFd = Interop.Libc.Open(fifo, Kernel.O_RDWR | Kernel.O_CLOEXEC, 0);
            if (startFd < 0) throw SystemCallException.Last($"opening {fifo}");
            launched.Fds.Add(startFd);
        }

        int console = -1;
        if (spec.Process!.Terminal) (console, launched.ConsoleReceiver) = OpenConsole(o.ConsoleSocket, launched.Fds);

        int state = Interop.Libc.MemfdCreate("skiff-hook-state", Kernel.MFD_CLOEXEC);
        if (state < 0) throw SystemCallException.Last("memfd_create");
        launched.Fds.Add(state);

        var namespaces = new Dictionary<string, int>();
        foreach (LinuxNamespace ns in spec.Linux?.Namespaces ?? [])
        {
            if (string.IsNullOrEmpty(ns.Path)) continue;
            int fd = Interop.Libc.Open(ns.Path, Kernel.O_RDONLY | Kernel.O_CLOEXEC, 0);
            if (fd < 0) throw SystemCallException.Last($"{ns.Type} namespace path {ns.Path}");
            launched.Fds.Add(fd);
            namespaces[ns.Type] = fd;
        }
        return new LaunchFds(childSocket, startFd, !foreground, console, state)
        {
            Namespaces = namespaces, BindSources = Mounts.BindSourceTrees.Open(spec, bundleDirectory, launched.Fds),
        };
    }

    /// <summary>
    /// Where the child sends its pty master: the caller's --console-socket, or a socket pair whose
    /// other end (Receiver) gets it for us to relay. Both ends are added to fds, to be closed.
    /// </summary>
    private static (int Console, int Receiver) OpenConsole(string? socketPath, List<int> fds)
    {
        int console, receiver = -1;
        if (socketPath is not null) console = HostFiles.ConnectUnix(socketPath, "console socket");
        else
        {
            (receiver, console) = SocketPair(Kernel.SOCK_STREAM);
            fds.Add(receiver);
        }
        fds.Add(console);
        return (console, receiver);
    }

    private static unsafe (int, int) SocketPair(int type)
    {
        int* pair = stackalloc int[2];
        if (Interop.Libc.SocketPair(Kernel.AF_UNIX, type | Kernel.SOCK_CLOEXEC, 0, pair) != 0)
            throw SystemCallException.Last("socketpair");
        return (pair[0], pair[1]);
    }

    private static void CloseFd(Launched launched, int fd)
    {
        if (launched.Fds.Remove(fd)) Interop.Libc.Close(fd);
    }

    private static void WritePidFile(string path, int pid)
    {
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp";
        File.WriteAllText(temp, pid.ToString());
        File.Move(temp, full, overwrite: true);
    }
}
