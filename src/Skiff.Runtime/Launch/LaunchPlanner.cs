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

/// <summary>
/// Everything the planner reads; nothing it does touches the system. What it must know of the host
/// and of the files the config names comes in <see cref="Host"/> and <see cref="Paths"/>, gathered
/// by <see cref="HostProbe"/>; left out, they describe a host with nothing optional and no files.
/// </summary>
public sealed record LaunchInputs(Spec Spec, string BundleDir, string RootfsPath, LaunchFds Fds)
{
    public bool NoPivot { get; init; }
    public bool NoNewKeyring { get; init; }
    public int PreserveFds { get; init; }
    public string? ContainerId { get; init; }
    public IReadOnlyList<CgroupMount> CgroupMounts { get; init; } = [];
    /// <summary>The host mount point holding the rootfs, made private so pivot_root accepts it.</summary>
    public string? RootfsParentMount { get; init; }
    public HostFacts Host { get; init; } = HostFacts.None;
    public PathFacts Paths { get; init; } = PathFacts.None;
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
        Validate(spec, linux, newNamespaces, joined, input.Host);

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
        steps.Add(Step.Umask("clear the umask", 0));
        foreach (NamespaceKind kind in NamespaceKind.JoinOrder)
            if (joined.TryGetValue(kind.OciType, out int fd))
                steps.Add(Step.SetNs($"join {kind.OciType} namespace", fd, kind.CloneFlag));
        if (forks && created != 0)
            steps.Add(Step.Unshare("create namespaces", created));
        steps.Add(Step.Notify("ask the parent for id maps and cgroup", sync, SyncKind.NeedSetup));
        steps.Add(Step.WaitParent("wait for the parent's setup", sync));
        if (newUser) steps.Add(Step.BecomeRoot("become root in the user namespace"));
        if (newCgroupNs) steps.Add(Step.Unshare("create cgroup namespace", NamespaceKind.Cgroup.CloneFlag));
        if (newTime)
        {
            steps.Add(Step.Unshare("create time namespace", NamespaceKind.Time.CloneFlag));
            if (linux.TimeOffsets is { Count: > 0 } offsets)
            {
                var text = new System.Text.StringBuilder();
                foreach ((string clock, TimeOffset offset) in offsets) text.Append($"{clock} {offset.Secs} {offset.Nanosecs}\n");
                steps.Add(Step.WriteFile("write time namespace offsets", "/proc/self/timens_offsets", text.ToString()));
            }
        }
        if (forks) steps.Add(Step.Fork("fork into the new namespaces", sync));

        if (spec.Hostname is { Length: > 0 } hostname)
            steps.Add(Step.SetHostname($"set hostname {hostname}", hostname));
        if (spec.Domainname is { Length: > 0 } domain)
            steps.Add(Step.SetDomainname($"set domainname {domain}", domain));
        foreach (var (key, value) in linux.Sysctl ?? [])
            steps.Add(Step.WriteFile($"set sysctl {key}={value}", "/proc/sys/" + key.Replace('.', '/'), value));

        AddRootfs(input, linux, newUser, newNamespaces.Contains("mount") || joined.ContainsKey("mount"), steps, process);

        bool hasCreateHooks = spec.Hooks is { } h && (h.Prestart?.Count > 0 || h.CreateRuntime?.Count > 0 || h.CreateContainer?.Count > 0 || h.StartContainer?.Count > 0);
        if (hasCreateHooks)
        {
            steps.Add(Step.Notify("ask the parent to run prestart and createRuntime hooks", sync, SyncKind.NeedRuntimeHooks));
            steps.Add(Step.WaitParent("wait for prestart and createRuntime hooks", sync));
        }
        foreach (Hook hook in spec.Hooks?.CreateContainer ?? [])
            steps.Add(HookStep(hook, "createContainer", input.Fds.State));

        steps.Add(Step.EnsureDirectory($"create cwd {process.Cwd}", input.Paths.InRoot(process.Cwd)));
        foreach (string path in linux.MaskedPaths ?? [])
            steps.Add(Step.MaskPath($"mask {path}", InRoot(path)));
        foreach (string path in linux.ReadonlyPaths ?? [])
            steps.Add(Step.ReadonlyPath($"make {path} read-only", InRoot(path)));
        if (spec.Root?.Readonly == true)
            steps.Add(Step.RemountRootReadonly("remount the rootfs read-only"));
        steps.Add(input.NoPivot
            ? Step.MoveRoot($"move {input.RootfsPath} onto / and chroot")
            : Step.PivotRoot($"pivot_root into {input.RootfsPath}"));
        long rootPropagation = MountOptions.PropagationOf(linux.RootfsPropagation, "rootfsPropagation");
        if (rootPropagation != 0)
            steps.Add(Step.MountHost($"set rootfs propagation {linux.RootfsPropagation}", null, "/", rootPropagation));

        var processInputs = new ProcessInputs(process, linux, sync, input.NoNewKeyring, input.PreserveFds) { ContainerId = input.ContainerId, Host = input.Host };
        List<Step> last = AddProcess(processInputs, steps, warnings, debug);
        steps.Add(Step.Notify("tell the parent the container is created", sync, SyncKind.Ready));
        steps.Add(Step.WaitStart("wait for start", input.Fds.StartFd, input.Fds.StartIsFifo ? StartSignal.ExecFifo : StartSignal.SyncSocket));
        foreach (Hook hook in spec.Hooks?.StartContainer ?? [])
            steps.Add(HookStep(hook, "startContainer", input.Fds.State));
        steps.AddRange(last);
        steps.Add(ExecStep(process, EnvironmentOf(process, input.Paths.Passwd)));

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
        steps.Add(Step.MountHost("make / a slave of the host", null, "/", rootFlags));
        steps.Add(Step.MountHost($"bind {rootfs} onto itself", rootfs, rootfs, MS_BIND | MS_REC));
        if (input.RootfsParentMount is { } parent && !input.NoPivot)
            steps.Add(Step.MountHost($"make {parent} private", null, parent, MS_PRIVATE));
        steps.Add(Step.OpenRoot($"open rootfs {rootfs}", rootfs));

        bool devPts = false;
        IReadOnlyList<Mount> mounts = input.Spec.Mounts ?? [];
        for (int index = 0; index < mounts.Count; index++)
        {
            Mount mount = mounts[index];
            if (mount.Type == "cgroup") AddCgroupMount(mount, input.CgroupMounts, steps);
            else if (mount.Type is "proc" or "sysfs" && !MountOptions.Parse(mount.Options, mount.Destination).Bind)
                steps.Add(MountStep(mount, input, OrdinaryDirectory(input.Paths, mount), MountInRootOptions.NoSymlinks));
            else
            {
                int detached = input.Fds.BindSources.TryGetValue(index, out int tree) ? tree : -1;
                steps.Add(MountStep(mount, input, input.Paths.InRoot(mount.Destination), detachedSource: detached));
            }
            if (mount.Destination.TrimEnd('/') == "/dev/pts") devPts = true;
        }

        foreach (var (path, major, minor) in DefaultDevices)
            steps.Add(DeviceStep(path, 'c', major, minor, DeviceMode, 0, 0, newUser));
        foreach (LinuxDevice device in linux.Devices ?? [])
        {
            if (device.Type is not ("c" or "b" or "u" or "p"))
                throw new RuntimeException($"config.json: device {device.Path}: type \"{device.Type}\" is not c, b, u or p");
            // Anywhere in the rootfs, as runc allows: the child resolves it beneath the root like any other path.
            if (!device.Path.StartsWith('/'))
                throw new RuntimeException($"config.json: device {ErrorText.Bounded(device.Path, 64)}: the path must be absolute");
            steps.Add(DeviceStep(device.Path, device.Type[0], device.Major, device.Minor, device.FileMode ?? DeviceMode, device.Uid ?? 0, device.Gid ?? 0, newUser));
        }
        foreach (var (target, link) in DevSymlinks)
            steps.Add(Step.Symlink($"symlink /{link} -> {target}", target, link));
        if (devPts)
            steps.Add(Step.Symlink("symlink /dev/ptmx -> pts/ptmx", "pts/ptmx", "dev/ptmx", SymlinkExisting.Replace));

        if (process.Terminal)
        {
            ConsoleSize? size = process.ConsoleSize;
            steps.Add(Step.Console("set up the container's console", input.Fds.ConsoleSocket, size?.Height ?? 0, size?.Width ?? 0, ConsoleFor.Container));
        }
        else steps.Add(Step.Setsid("start a new session"));
    }

    /// <summary>rw-rw-rw-: a device node the config gives no mode.</summary>
    private const uint DeviceMode = 0b110_110_110;

    /// <summary>A mode's permission bits, setuid, setgid and sticky among them: all of it below the file type.</summary>
    private const uint PermissionBits = 0b111_111_111_111;

    /// <summary>
    /// procfs and sysfs go only onto an ordinary directory, never through a symlink (runc's rule,
    /// after CVE-2019-19921): the destination is not resolved, and the child opens it with no
    /// symlink allowed, so a link swapped in after this check fails there instead.
    /// </summary>
    private static string OrdinaryDirectory(PathFacts paths, Mount mount)
    {
        if (paths.IrregularProcDestinations.Contains(mount.Destination))
            throw new RuntimeException($"mount {mount.Type} to {mount.Destination}: filesystem \"{mount.Type}\" must be mounted on ordinary directory");
        return InRoot(mount.Destination);
    }

    private static Step MountStep(Mount mount, LaunchInputs input, string destination,
        MountInRootOptions resolve = MountInRootOptions.None, int detachedSource = -1)
    {
        ParsedMountOptions options = MountOptions.Parse(mount.Options, mount.Destination);
        bool bind = options.Bind || mount.Type == "bind";
        string what = $"mount {mount.Source ?? mount.Type} to {mount.Destination}";
        if (bind)
        {
            string source = mount.Source is { Length: > 0 } s
                ? PathFacts.BindSourcePath(s, input.BundleDir)
                : throw new RuntimeException($"config.json: bind mount to {mount.Destination} has no source");
            BindSource found = input.Paths.BindSources.GetValueOrDefault(source) ?? new BindSource(SourceKind.Missing);
            if (found.Kind == SourceKind.Missing)
                throw new RuntimeException($"{what}: source {source}: no such file or directory");
            bool directory = found.Kind == SourceKind.Directory;
            CheckProcBind(what, mount.Destination, destination, found);
            long remount = options.RemountFlags;
            return Step.MountInRoot(what, source, destination, null, MS_BIND | (options.Recursive ? MS_REC : 0), null,
                directory ? PathCreate.Directory : PathCreate.File,
                remountFlags: remount != 0 ? MS_BIND | MS_REMOUNT | remount : 0, attrSet: options.RecursiveAttrSet, propagation: options.Propagation,
                detachedSource: detachedSource);
        }
        long flags = options.Flags & ~MS_REC;
        // tmpcopyup fills the tmpfs after mounting it: read-only comes with a remount after the copy.
        bool copyUp = options.CopyUp && mount.Type == "tmpfs";
        return Step.MountInRoot(copyUp ? what + " (tmpcopyup)" : what, mount.Source ?? mount.Type ?? "none", destination, mount.Type,
            copyUp ? flags & ~MS_RDONLY : flags, SelinuxMountLabel.Apply(mount.Type, options.Data, input.Spec.Linux?.MountLabel, input.Host.Lsm),
            PathCreate.Directory, resolve | (copyUp ? MountInRootOptions.CopyUp : MountInRootOptions.None),
            remountFlags: copyUp && (flags & MS_RDONLY) != 0 ? MS_REMOUNT | flags : 0,
            attrSet: options.RecursiveAttrSet, propagation: options.Propagation, detachedSource: detachedSource);
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
    private static void CheckProcBind(string what, string configured, string resolved, BindSource source)
    {
        if (resolved == "proc")
        {
            if (!source.OnProcfs)
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
            steps.Add(Step.MountInRoot($"mount cgroup2 to {mount.Destination}", "cgroup2", destination, "cgroup2", flags, null, PathCreate.Directory));
            return;
        }
        steps.Add(Step.MountInRoot($"mount tmpfs for cgroups to {mount.Destination}", "tmpfs", destination, "tmpfs",
            MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", PathCreate.Directory));
        foreach (CgroupMount hierarchy in hierarchies)
        {
            steps.Add(Step.MountInRoot($"bind cgroup {hierarchy.Name} to {mount.Destination}/{hierarchy.Name}",
                hierarchy.HostPath, destination + "/" + hierarchy.Name, null, MS_BIND | MS_REC, null, PathCreate.Directory,
                remountFlags: MS_BIND | MS_REMOUNT | (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC))));
        }
        if ((flags & MS_RDONLY) != 0)
            steps.Add(Step.RemountInRoot($"remount {mount.Destination} read-only", destination, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
    }

    private static Step DeviceStep(string path, char type, long major, long minor, uint mode, uint uid, uint gid, bool userNamespace)
    {
        string inRoot = InRoot(path);
        // mknod is refused in a user namespace: the host's node is bound instead, as runc does.
        if (userNamespace && type is 'c' or 'b' or 'u')
            return Step.BindDevice($"bind device {path}", inRoot, path);
        int kind = type switch { 'b' => S_IFBLK, 'p' => S_IFIFO, _ => S_IFCHR };
        return Step.Mknod($"create device {path}", inRoot, (uint)kind | (mode & PermissionBits), FileFlags.MakeDev((uint)major, (uint)minor), uid, gid);
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

    /// <summary>The open descriptors to keep, sorted and without repeats (a SortedSet, not LINQ: each LINQ operator over a value type is its own code in the binary).</summary>
    private static Step CloseInheritedExcept(List<int> fds, int preserveFds)
    {
        var keep = new SortedSet<int>();
        foreach (int fd in fds)
            if (fd >= 0) keep.Add(fd);
        int[] sorted = new int[keep.Count];
        keep.CopyTo(sorted);
        return Step.CloseInherited("close the runtime's file descriptors", 3 + preserveFds, sorted);
    }

    private static Step HookStep(Hook hook, string kind, int stateFd) =>
        Step.RunHook($"run {kind} hook {hook.Path}", hook.Path, hook.Args is { Count: > 0 } a ? a : [hook.Path], hook.Env ?? [], hook.Timeout ?? 0, stateFd);

    /// <summary>A config path as the child resolves it beneath the root handle.</summary>
    private static string InRoot(string path) => path.TrimStart('/') is { Length: > 0 } p ? p : ".";
}
