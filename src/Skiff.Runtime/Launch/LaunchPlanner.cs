using System.Text;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Mounts;
using static Skiff.Linux.Kernel;

namespace Skiff.Runtime.Launch;

/// <summary>The file descriptors the parent opened for the child before clone(2).</summary>
public sealed record LaunchFds(int Sync, int StartFd, bool StartIsFifo, int ConsoleSocket, int State)
{
    /// <summary>Open handles of namespaces to join, by OCI type.</summary>
    public IReadOnlyDictionary<string, int> Namespaces { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// Detached copies (open_tree) of bind sources, by index in the config's mounts, made by the
    /// parent as host root for a container with a user namespace: the child moves them into place,
    /// so a source its mapped root could not reach (a directory only host root may traverse) still
    /// binds, as runc does.
    /// </summary>
    public IReadOnlyDictionary<int, int> BindSources { get; init; } = new Dictionary<int, int>();
}

/// <summary>One hierarchy of the container's cgroup, as the /sys/fs/cgroup mount inside it shows it.</summary>
public sealed record CgroupMount(string Name, string HostPath, bool Unified);

/// <summary>Everything the planner reads; nothing it does touches the system.</summary>
public sealed record LaunchInputs(Spec Spec, string BundleDir, string RootfsPath, LaunchFds Fds)
{
    public bool NoPivot { get; init; }
    public bool NoNewKeyring { get; init; }
    public int PreserveFds { get; init; }
    public string? ContainerId { get; init; }
    public IReadOnlyList<CgroupMount> CgroupMounts { get; init; } = [];
    /// <summary>The host mount point holding the rootfs, made private so pivot_root accepts it.</summary>
    public string? RootfsParentMount { get; init; }
    /// <summary>What the config is checked against on this host; null gathers this host's once.</summary>
    public HostFacts? Host { get; init; }
}

/// <summary>A config compiled to the child's steps, plus what the parent must do around them.</summary>
public sealed record LaunchPlan(long CloneFlags, IReadOnlyList<Step> Steps)
{
    public bool NewUserNamespace { get; init; }
    public bool HasCreateHooks { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>What runc would log at debug level only (unknown seccomp syscall names).</summary>
    public IReadOnlyList<string> DebugNotes { get; init; } = [];
    public string ExecutableName { get; init; } = "";
}

/// <summary>
/// Compiles a validated config into a <see cref="LaunchPlan"/>: the parent does all the thinking
/// (option parsing, capability masks, PATH candidates, device numbers) so the child only acts.
/// </summary>
public static partial class LaunchPlanner
{
    public static IReadOnlyCollection<string> NamespaceTypes { get; } = NamespaceKind.All.Select(k => k.OciType).ToArray();

    private static readonly (string Path, int Major, int Minor)[] DefaultDevices =
        [("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0)];

    private static readonly (string Target, string Link)[] DevSymlinks =
        [("/proc/self/fd", "dev/fd"), ("/proc/self/fd/0", "dev/stdin"), ("/proc/self/fd/1", "dev/stdout"), ("/proc/self/fd/2", "dev/stderr")];

    public static LaunchPlan Plan(LaunchInputs input)
    {
        Spec spec = input.Spec;
        Process process = spec.Process ?? throw new RuntimeException("config.json: process is missing");
        Oci.Runtime.Linux linux = spec.Linux ?? new Oci.Runtime.Linux();
        var steps = new List<Step>();
        var warnings = new List<string>();
        var debug = new List<string>();
        int sync = input.Fds.Sync;

        var newNamespaces = new HashSet<string>();
        var joined = new Dictionary<string, int>();
        foreach (LinuxNamespace ns in linux.Namespaces ?? [])
        {
            if (NamespaceKind.FromOciType(ns.Type) is null)
                throw new RuntimeException($"config.json: namespace type \"{ns.Type}\" is not one of {string.Join(", ", NamespaceTypes)}");
            if (newNamespaces.Contains(ns.Type) || joined.ContainsKey(ns.Type))
                throw new RuntimeException($"config.json: namespace \"{ns.Type}\" is listed twice");
            if (string.IsNullOrEmpty(ns.Path)) newNamespaces.Add(ns.Type);
            else joined[ns.Type] = input.Fds.Namespaces.TryGetValue(ns.Type, out int fd)
                ? fd : throw new RuntimeException($"namespace {ns.Type} path {ns.Path} was not opened");
        }
        Validate(spec, linux, newNamespaces, joined, input.Host ?? HostFacts.Current);

        bool newUser = newNamespaces.Contains("user");
        bool newTime = newNamespaces.Contains("time");
        bool newCgroupNs = newNamespaces.Contains("cgroup");
        // A namespace joined by path, or a time namespace (its offsets must be written before anyone
        // enters it), means the namespaces are made after clone, and the container's process is a
        // second child, born inside them (fork-safety rule 4 in ARCHITECTURE.md).
        bool forks = joined.Count > 0 || newTime;
        long created = 0;
        foreach (string type in newNamespaces)
            if (type is not ("cgroup" or "time")) created |= NamespaceKind.FromOciType(type)!.CloneFlag;

        long cloneFlags = forks ? 0 : created;
        steps.Add(CloseInherited(input));
        // Devices and directories are made with the modes the config names, not the runtime's umask.
        steps.Add(new Step(StepKind.Umask, "clear the umask") { A = 0 });
        foreach (NamespaceKind kind in NamespaceKind.JoinOrder)
            if (joined.TryGetValue(kind.OciType, out int fd))
                steps.Add(new Step(StepKind.SetNs, $"join {kind.OciType} namespace") { Fd = fd, A = kind.CloneFlag });
        if (forks && created != 0)
            steps.Add(new Step(StepKind.Unshare, "create namespaces") { A = created });
        steps.Add(new Step(StepKind.Notify, "ask the parent for id maps and cgroup") { Fd = sync, A = (long)SyncKind.NeedSetup });
        steps.Add(new Step(StepKind.WaitParent, "wait for the parent's setup") { Fd = sync });
        if (newUser) steps.Add(new Step(StepKind.BecomeRoot, "become root in the user namespace"));
        if (newCgroupNs) steps.Add(new Step(StepKind.Unshare, "create cgroup namespace") { A = NamespaceKind.Cgroup.CloneFlag });
        if (newTime)
        {
            steps.Add(new Step(StepKind.Unshare, "create time namespace") { A = NamespaceKind.Time.CloneFlag });
            if (linux.TimeOffsets is { Count: > 0 } offsets)
            {
                string text = string.Concat(offsets.Select(o => $"{o.Key} {o.Value.Secs} {o.Value.Nanosecs}\n"));
                steps.Add(WriteFile("/proc/self/timens_offsets", text, "write time namespace offsets"));
            }
        }
        if (forks) steps.Add(new Step(StepKind.Fork, "fork into the new namespaces") { Fd = sync });

        if (spec.Hostname is { Length: > 0 } hostname)
            steps.Add(new Step(StepKind.SetHostname, $"set hostname {hostname}") { S1 = hostname, A = Encoding.UTF8.GetByteCount(hostname) });
        if (spec.Domainname is { Length: > 0 } domain)
            steps.Add(new Step(StepKind.SetDomainname, $"set domainname {domain}") { S1 = domain, A = Encoding.UTF8.GetByteCount(domain) });
        foreach (var (key, value) in linux.Sysctl ?? [])
            steps.Add(WriteFile("/proc/sys/" + key.Replace('.', '/'), value, $"set sysctl {key}={value}"));

        AddRootfs(input, linux, newUser, newNamespaces.Contains("mount") || joined.ContainsKey("mount"), steps, process);

        bool hasCreateHooks = spec.Hooks is { } h && (h.Prestart?.Count > 0 || h.CreateRuntime?.Count > 0 || h.CreateContainer?.Count > 0 || h.StartContainer?.Count > 0);
        if (hasCreateHooks)
        {
            steps.Add(new Step(StepKind.Notify, "ask the parent to run prestart and createRuntime hooks") { Fd = sync, A = (long)SyncKind.NeedRuntimeHooks });
            steps.Add(new Step(StepKind.WaitParent, "wait for prestart and createRuntime hooks") { Fd = sync });
        }
        foreach (Hook hook in spec.Hooks?.CreateContainer ?? [])
            steps.Add(HookStep(hook, "createContainer", input.Fds.State));

        steps.Add(new Step(StepKind.EnsureDirectory, $"create cwd {process.Cwd}") { S1 = RootfsPath.Resolve(input.RootfsPath, process.Cwd) });
        foreach (string path in linux.MaskedPaths ?? [])
            steps.Add(new Step(StepKind.MaskPath, $"mask {path}") { S1 = InRoot(path) });
        foreach (string path in linux.ReadonlyPaths ?? [])
            steps.Add(new Step(StepKind.ReadonlyPath, $"make {path} read-only") { S1 = InRoot(path) });
        if (spec.Root?.Readonly == true)
            steps.Add(new Step(StepKind.RemountRootReadonly, "remount the rootfs read-only"));
        steps.Add(input.NoPivot
            ? new Step(StepKind.MoveRoot, $"move {input.RootfsPath} onto / and chroot")
            : new Step(StepKind.PivotRoot, $"pivot_root into {input.RootfsPath}"));
        long rootPropagation = MountOptions.PropagationOf(linux.RootfsPropagation, "rootfsPropagation");
        if (rootPropagation != 0)
            steps.Add(new Step(StepKind.MountHost, $"set rootfs propagation {linux.RootfsPropagation}") { S2 = "/", A = rootPropagation });

        List<Step> last = AddProcess(new ProcessInputs(process, linux, input.NoNewKeyring, input.PreserveFds) { ContainerId = input.ContainerId }, steps, warnings, debug);
        steps.Add(new Step(StepKind.Notify, "tell the parent the container is created") { Fd = sync, A = (long)SyncKind.Ready });
        steps.Add(new Step(StepKind.WaitStart, "wait for start") { Fd = input.Fds.StartFd, A = input.Fds.StartIsFifo ? 1 : 2 });
        foreach (Hook hook in spec.Hooks?.StartContainer ?? [])
            steps.Add(HookStep(hook, "startContainer", input.Fds.State));
        steps.AddRange(last);
        steps.Add(ExecStep(process, EnvironmentOf(process, input.RootfsPath)));

        return new LaunchPlan(cloneFlags, steps)
        {
            NewUserNamespace = newUser,
            HasCreateHooks = hasCreateHooks,
            Warnings = warnings,
            DebugNotes = debug,
            ExecutableName = process.Args![0],
        };
    }

    private static void Validate(Spec spec, Oci.Runtime.Linux linux, HashSet<string> created, Dictionary<string, int> joined, HostFacts host)
    {
        Process process = spec.Process!;
        if (process.Args is not { Count: > 0 } || string.IsNullOrEmpty(process.Args[0]))
            throw new RuntimeException("config.json: process.args must name the program to run");
        if (string.IsNullOrEmpty(process.Cwd) || process.Cwd[0] != '/')
            throw new RuntimeException($"config.json: process.cwd \"{ErrorText.Bounded(process.Cwd ?? "", 64)}\" must be an absolute path");
        ValidateLimits(spec, linux);
        // A UTS namespace joined by path is the container's own too (runc and crun set the hostname there).
        bool uts = created.Contains("uts") || joined.ContainsKey("uts");
        if (!string.IsNullOrEmpty(spec.Hostname) && !uts)
            throw new RuntimeException("config.json: unable to set hostname without a private UTS namespace");
        if (!string.IsNullOrEmpty(spec.Domainname) && !uts)
            throw new RuntimeException("config.json: unable to set domainname without a private UTS namespace");
        foreach (var (key, value) in linux.Sysctl ?? [])
        {
            string k = key.Replace('/', '.');
            string? field = k == "kernel.hostname" ? spec.Hostname : k == "kernel.domainname" ? spec.Domainname : null;
            if (!string.IsNullOrEmpty(field) && value != field)
                throw new RuntimeException($"config.json: sysctl {k}={ErrorText.Bounded(value, 64)} conflicts with {k[7..]} \"{ErrorText.Bounded(field, 64)}\"");
        }
        bool userNs = created.Contains("user");
        if (userNs && (linux.UidMappings is not { Count: > 0 } || linux.GidMappings is not { Count: > 0 }))
            throw new RuntimeException("config.json: user namespace enabled, but no uid or gid mappings found");
        if (!userNs && !joined.ContainsKey("user") && (linux.UidMappings?.Count > 0 || linux.GidMappings?.Count > 0))
            throw new RuntimeException("config.json: uid/gid mappings given, but no user namespace is enabled");
        if (linux.TimeOffsets is { Count: > 0 } offsets)
        {
            if (!created.Contains("time"))
                throw new RuntimeException("config.json: time namespace offsets specified, but no new time namespace is enabled");
            foreach (string clock in offsets.Keys)
                if (clock is not ("monotonic" or "boottime"))
                    throw new RuntimeException($"config.json: time offset clock \"{clock}\" is not monotonic or boottime");
        }
        if (!created.Contains("mount") && !joined.ContainsKey("mount"))
            throw new RuntimeException("config.json: a mount namespace is required (skiff-runc never changes the host's mounts)");
        // A namespace joined by path is the container's own too (Podman hands over the network namespace it made).
        var own = created.Concat(joined.Keys).ToHashSet();
        foreach (string key in (linux.Sysctl ?? []).Keys)
            ValidateSysctl(key, own);
        if (linux.IntelRdt is not null && !host.Resctrl)
            throw new RuntimeException("config.json: linux.intelRdt is set, but this host has no resctrl filesystem");
    }

    /// <summary>Only sysctls that live in a namespace of the container's own may be set (runc's rule).</summary>
    private static void ValidateSysctl(string key, HashSet<string> created)
    {
        string k = key.Replace('/', '.');
        bool ipc = k is "kernel.msgmax" or "kernel.msgmnb" or "kernel.msgmni" or "kernel.sem" or "kernel.shmall"
            or "kernel.shmmax" or "kernel.shmmni" or "kernel.shm_rmid_forced" || k.StartsWith("fs.mqueue.", StringComparison.Ordinal);
        if (ipc && created.Contains("ipc")) return;
        if (k.StartsWith("net.", StringComparison.Ordinal) && created.Contains("network")) return;
        if (k is "kernel.hostname" or "kernel.domainname" && created.Contains("uts")) return;
        throw new RuntimeException($"config.json: sysctl \"{key}\" is not in a separate kernel namespace of the container");
    }

    private static void AddRootfs(LaunchInputs input, Oci.Runtime.Linux linux, bool newUser, bool mountNs, List<Step> steps, Process process)
    {
        string rootfs = input.RootfsPath;
        long propagation = MountOptions.PropagationOf(linux.RootfsPropagation, "rootfsPropagation");
        // Nothing mounted below may travel back to the host: "/" becomes a slave of the host at most.
        // An unbindable tree could not bind the rootfs onto itself: it is private until the pivot,
        // and the step after the pivot makes the new root unbindable (crun's order).
        long rootFlags = propagation is 0 || (propagation & MS_SHARED) != 0 ? MS_SLAVE | MS_REC
            : (propagation & MS_UNBINDABLE) != 0 ? MS_PRIVATE | MS_REC
            : propagation | MS_REC;
        steps.Add(new Step(StepKind.MountHost, "make / a slave of the host") { S2 = "/", A = rootFlags });
        steps.Add(new Step(StepKind.MountHost, $"bind {rootfs} onto itself") { S1 = rootfs, S2 = rootfs, A = MS_BIND | MS_REC });
        if (input.RootfsParentMount is { } parent && !input.NoPivot)
            steps.Add(new Step(StepKind.MountHost, $"make {parent} private") { S2 = parent, A = MS_PRIVATE });
        steps.Add(new Step(StepKind.OpenRoot, $"open rootfs {rootfs}") { S1 = rootfs });

        bool devPts = false;
        IReadOnlyList<Mount> mounts = input.Spec.Mounts ?? [];
        for (int index = 0; index < mounts.Count; index++)
        {
            Mount mount = mounts[index];
            if (mount.Type == "cgroup") AddCgroupMount(mount, input.CgroupMounts, steps);
            else if (mount.Type is "proc" or "sysfs" && !MountOptions.Parse(mount.Options, mount.Destination).Bind)
                steps.Add(MountStep(mount, input.BundleDir, OrdinaryDirectory(rootfs, mount), linux.MountLabel, NoSymlinks));
            else
            {
                Step step = MountStep(mount, input.BundleDir, RootfsPath.Resolve(rootfs, mount.Destination), linux.MountLabel);
                steps.Add(input.Fds.BindSources.TryGetValue(index, out int tree) ? step with { Fd = tree } : step);
            }
            if (mount.Destination.TrimEnd('/') == "/dev/pts") devPts = true;
        }

        foreach (var (path, major, minor) in DefaultDevices)
            steps.Add(DeviceStep(path, 'c', major, minor, 0x1B6, 0, 0, newUser));
        foreach (LinuxDevice device in linux.Devices ?? [])
        {
            if (device.Type is not ("c" or "b" or "u" or "p"))
                throw new RuntimeException($"config.json: device {device.Path}: type \"{device.Type}\" is not c, b, u or p");
            // Anywhere in the rootfs, as runc allows: the child resolves it beneath the root like any other path.
            if (!device.Path.StartsWith('/'))
                throw new RuntimeException($"config.json: device {ErrorText.Bounded(device.Path, 64)}: the path must be absolute");
            steps.Add(DeviceStep(device.Path, device.Type[0], device.Major, device.Minor, device.FileMode ?? 0x1B6, device.Uid ?? 0, device.Gid ?? 0, newUser));
        }
        foreach (var (target, link) in DevSymlinks)
            steps.Add(new Step(StepKind.Symlink, $"symlink /{link} -> {target}") { S1 = target, S2 = link });
        if (devPts)
            steps.Add(new Step(StepKind.Symlink, "symlink /dev/ptmx -> pts/ptmx") { S1 = "pts/ptmx", S2 = "dev/ptmx", A = 1 });

        if (process.Terminal)
        {
            ConsoleSize? size = process.ConsoleSize;
            steps.Add(new Step(StepKind.Console, "set up the container's console")
                { Fd = input.Fds.ConsoleSocket, A = size?.Height ?? 0, B = size?.Width ?? 0 });
        }
        else steps.Add(new Step(StepKind.Setsid, "start a new session"));
    }

    /// <summary>MountInRoot's B: resolve the destination with no symlink at all (RESOLVE_NO_SYMLINKS).</summary>
    private const long NoSymlinks = 0x100;

    /// <summary>MountInRoot's B: have the parent copy what was at the destination into the new mount (tmpcopyup).</summary>
    private const long CopyUp = 0x200;

    /// <summary>
    /// procfs and sysfs go only onto an ordinary directory, never through a symlink (runc's rule,
    /// after CVE-2019-19921): the destination is not resolved, and the child opens it with no
    /// symlink allowed, so a link swapped in after this check fails there instead.
    /// </summary>
    private static string OrdinaryDirectory(string rootfs, Mount mount)
    {
        string relative = InRoot(mount.Destination);
        string at = rootfs;
        foreach (string name in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            at = Path.Combine(at, name);
            var info = new FileInfo(at);
            if (!info.Exists && !Directory.Exists(at) && info.LinkTarget is null) break;
            if (info.LinkTarget is not null || !info.Attributes.HasFlag(FileAttributes.Directory))
                throw new RuntimeException($"mount {mount.Type} to {mount.Destination}: filesystem \"{mount.Type}\" must be mounted on ordinary directory");
        }
        return relative;
    }

    private static Step MountStep(Mount mount, string bundleDir, string destination, string? mountLabel, long resolve = 0)
    {
        ParsedMountOptions options = MountOptions.Parse(mount.Options, mount.Destination);
        bool bind = options.Bind || mount.Type == "bind";
        string what = $"mount {mount.Source ?? mount.Type} to {mount.Destination}";
        if (bind)
        {
            string source = mount.Source is { Length: > 0 } s
                ? (Path.IsPathRooted(s) ? s : Path.Combine(bundleDir, s))
                : throw new RuntimeException($"config.json: bind mount to {mount.Destination} has no source");
            bool directory = Directory.Exists(source);
            if (!directory && !File.Exists(source))
                throw new RuntimeException($"{what}: source {source}: no such file or directory");
            CheckProcBind(what, mount.Destination, destination, source);
            long remount = options.RemountFlags;
            return new Step(StepKind.MountInRoot, what)
            {
                S1 = source, S2 = destination, A = MS_BIND | (options.Recursive ? MS_REC : 0), B = directory ? 1 : 2,
                C = remount != 0 ? MS_BIND | MS_REMOUNT | remount : 0, D = options.RecursiveAttrSet, E = options.Propagation,
            };
        }
        long flags = options.Flags & ~MS_REC;
        // tmpcopyup fills the tmpfs after mounting it: read-only comes with a remount after the copy.
        bool copyUp = options.CopyUp && mount.Type == "tmpfs";
        return new Step(StepKind.MountInRoot, copyUp ? what + " (tmpcopyup)" : what)
        {
            S1 = mount.Source ?? mount.Type ?? "none", S2 = destination, S3 = mount.Type,
            S4 = SelinuxMountLabel.Apply(mount.Type, options.Data, mountLabel),
            A = copyUp ? flags & ~MS_RDONLY : flags, B = 1 | resolve | (copyUp ? CopyUp : 0),
            C = copyUp && (flags & MS_RDONLY) != 0 ? MS_REMOUNT | flags : 0,
            D = options.RecursiveAttrSet, E = options.Propagation,
        };
    }

    /// <summary>The files under /proc a bind may cover (what lxcfs emulates), as runc allows them.</summary>
    private static readonly HashSet<string> BindableProcFiles =
    [
        "proc/cpuinfo", "proc/diskstats", "proc/meminfo", "proc/stat", "proc/swaps", "proc/uptime",
        "proc/loadavg", "proc/slabinfo", "proc/net/dev", "proc/sys/kernel/ns_last_pid",
    ];

    /// <summary>
    /// Nothing is bound into the container's /proc but those files, and over /proc itself only a
    /// procfs (runc's rule): a bind over /proc/sys/kernel/core_pattern or /proc/self would hand the
    /// container a lever on the host. The destination is checked as resolved in the rootfs, so a
    /// symlink leading into /proc counts as /proc.
    /// </summary>
    private static void CheckProcBind(string what, string configured, string resolved, string source)
    {
        if (resolved == "proc")
        {
            if (!PathProbe.IsProcfs(source))
                throw new RuntimeException($"{what}: \"{configured}\" cannot be mounted because it is not of type proc");
        }
        else if (resolved.StartsWith("proc/", StringComparison.Ordinal) && !BindableProcFiles.Contains(resolved))
            throw new RuntimeException($"{what}: \"{configured}\" cannot be mounted because it is inside /proc");
    }

    /// <summary>
    /// A "cgroup" mount: on a v1 or hybrid host, a tmpfs holding a bind of the container's own
    /// directory in each hierarchy (what runc and Docker show); on a unified host, cgroup2 itself.
    /// </summary>
    private static void AddCgroupMount(Mount mount, IReadOnlyList<CgroupMount> hierarchies, List<Step> steps)
    {
        ParsedMountOptions options = MountOptions.Parse(mount.Options, mount.Destination);
        string destination = InRoot(mount.Destination);
        long flags = options.Flags & ~(MS_BIND | MS_REC);
        if (hierarchies.Count == 1 && hierarchies[0].Unified && hierarchies[0].Name == "")
        {
            steps.Add(new Step(StepKind.MountInRoot, $"mount cgroup2 to {mount.Destination}")
                { S1 = "cgroup2", S2 = destination, S3 = "cgroup2", A = flags, B = 1 });
            return;
        }
        steps.Add(new Step(StepKind.MountInRoot, $"mount tmpfs for cgroups to {mount.Destination}")
            { S1 = "tmpfs", S2 = destination, S3 = "tmpfs", S4 = "mode=755", A = MS_NOSUID | MS_NODEV | MS_NOEXEC, B = 1 });
        foreach (CgroupMount hierarchy in hierarchies)
        {
            steps.Add(new Step(StepKind.MountInRoot, $"bind cgroup {hierarchy.Name} to {mount.Destination}/{hierarchy.Name}")
            {
                S1 = hierarchy.HostPath, S2 = destination + "/" + hierarchy.Name, A = MS_BIND | MS_REC, B = 1,
                C = MS_BIND | MS_REMOUNT | (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)),
            });
        }
        if ((flags & MS_RDONLY) != 0)
            steps.Add(new Step(StepKind.RemountInRoot, $"remount {mount.Destination} read-only")
                { S1 = destination, A = MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC });
    }

    private static Step DeviceStep(string path, char type, long major, long minor, uint mode, uint uid, uint gid, bool userNamespace)
    {
        string inRoot = InRoot(path);
        // mknod is refused in a user namespace: the host's node is bound instead, as runc does.
        if (userNamespace && type is 'c' or 'b' or 'u')
            return new Step(StepKind.BindDevice, $"bind device {path}") { S1 = inRoot, S2 = path };
        int kind = type switch { 'b' => S_IFBLK, 'p' => S_IFIFO, _ => S_IFCHR };
        long dev = (long)FileFlags.MakeDev((uint)major, (uint)minor);
        return new Step(StepKind.Mknod, $"create device {path}") { S1 = inRoot, A = (long)kind + (mode & 0xFFF), B = dev, C = uid, D = gid };
    }

    /// <summary>
    /// The child starts with every fd of the runtime (its own internals, the caller's extras): all
    /// but stdio, the preserved ones and those the plan uses are closed before anything else runs.
    /// </summary>
    private static Step CloseInherited(LaunchInputs input)
    {
        LaunchFds fds = input.Fds;
        return CloseInheritedExcept([fds.Sync, fds.StartFd, fds.ConsoleSocket, fds.State, .. fds.Namespaces.Values, .. fds.BindSources.Values], input.PreserveFds);
    }

    private static Step CloseInheritedExcept(IEnumerable<int> fds, int preserveFds)
    {
        int[] keep = fds.Where(fd => fd >= 0).Distinct().Order().ToArray();
        byte[] bytes = new byte[Math.Max(4, keep.Length * 4)];
        for (int i = 0; i < keep.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), keep[i]);
        return new Step(StepKind.CloseInherited, "close the runtime's file descriptors")
            { A = 3 + preserveFds, B = keep.Length, Bytes1 = bytes };
    }

    private static Step HookStep(Hook hook, string kind, int stateFd) =>
        new(StepKind.RunHook, $"run {kind} hook {hook.Path}")
        {
            S1 = hook.Path, V1 = hook.Args is { Count: > 0 } a ? a : [hook.Path], V2 = hook.Env ?? [], A = hook.Timeout ?? 0, Fd = stateFd,
        };

    private static Step WriteFile(string path, string content, string what)
    {
        return new Step(StepKind.WriteFile, what) { S1 = path, S2 = content, A = Encoding.UTF8.GetByteCount(content) };
    }

    /// <summary>A config path as the child resolves it beneath the root handle.</summary>
    private static string InRoot(string path) => path.TrimStart('/') is { Length: > 0 } p ? p : ".";
}
