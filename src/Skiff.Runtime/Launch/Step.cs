using System.Text;

namespace Skiff.Runtime.Launch;

/// <summary>
/// What the cloned child does, one system-call-sized action at a time. Each kind's arguments are
/// named twice, in one place each: by its factory on <see cref="Step"/> (where the planner makes it)
/// and by its view on <see cref="RawStep"/> (where the child runs it).
/// </summary>
public enum StepKind
{
    CloseInherited = 1,
    WaitParent,
    Notify,
    SetNs,
    Unshare,
    Fork,
    BecomeRoot,
    WriteFile,
    MountHost,
    OpenRoot,
    MountInRoot,
    Mknod,
    BindDevice,
    Symlink,
    MaskPath,
    ReadonlyPath,
    RemountInRoot,
    EnsureDirectory,
    RemountRootReadonly,
    PivotRoot,
    MoveRoot,
    SetHostname,
    SetDomainname,
    Rlimit,
    Personality,
    Console,
    Setsid,
    SessionKeyring,
    DropBounding,
    KeepCaps,
    SetGroups,
    SetIds,
    CapSet,
    Ambient,
    NoNewPrivileges,
    Umask,
    Chdir,
    CloseFrom,
    ResolveExecutable,
    WaitStart,
    RunHook,
    Seccomp,
    SeccompNotify,
    IoPriority,
    Scheduler,
    Affinity,
    ExecLabel,
    UnblockSignals,
    Exec,
}

/// <summary>What the child makes at a path in the root that does not exist yet (its missing parents are always directories).</summary>
public enum PathCreate
{
    Nothing = 0,
    Directory = 1,
    /// <summary>An empty file: the target of a file bind or a device bind.</summary>
    File = 2,
}

/// <summary>How a <see cref="StepKind.MountInRoot"/> reaches and fills its target, beside <see cref="PathCreate"/>.</summary>
[Flags]
public enum MountInRootOptions : long
{
    None = 0,
    /// <summary>The target is resolved with no symlink at all (RESOLVE_NO_SYMLINKS): procfs and sysfs go only onto an ordinary directory.</summary>
    NoSymlinks = 1 << 8,
    /// <summary>The parent copies what the new mount hides into it (tmpcopyup).</summary>
    CopyUp = 1 << 9,
}

/// <summary>Where the container's process waits for its start.</summary>
public enum StartSignal
{
    /// <summary>A byte read on the exec fifo (`start` opens it).</summary>
    ExecFifo = 1,
    /// <summary>A Go message on the sync socket (an exec's parent).</summary>
    SyncSocket = 2,
}

/// <summary>Whose terminal a console step makes.</summary>
public enum ConsoleFor
{
    /// <summary>The container's console: the pty's slave is also bound over /dev/console.</summary>
    Container = 0,
    /// <summary>An exec's own pty, never the container's console.</summary>
    Exec = 1,
}

/// <summary>What a symlink step does with a file already at the link's place.</summary>
public enum SymlinkExisting
{
    Keep = 0,
    Replace = 1,
}

/// <summary>
/// One step of a <see cref="LaunchPlan"/>, made by the factory of its kind. The arguments sit in
/// generic slots so the plan lowers into one flat native array before clone(2) (the child must not
/// allocate); only the factories below write them, only <see cref="NativePlan"/> copies them, and
/// the child reads them through <see cref="RawStep"/>'s named views. Description is what an error
/// message names when the step fails.
/// </summary>
public sealed record Step
{
    private Step(StepKind kind, string description)
    {
        Kind = kind;
        Description = description;
    }

    public StepKind Kind { get; }
    public string Description { get; }

    internal int Fd { get; private init; } = -1;
    internal long A { get; private init; }
    internal long B { get; private init; }
    internal long C { get; private init; }
    internal long D { get; private init; }
    internal long E { get; private init; }
    internal string? S1 { get; private init; }
    internal string? S2 { get; private init; }
    internal string? S3 { get; private init; }
    internal string? S4 { get; private init; }
    internal IReadOnlyList<string>? V1 { get; private init; }
    internal IReadOnlyList<string>? V2 { get; private init; }
    /// <summary>Binary payload, lowered where S1 would be (gid arrays, filters, masks).</summary>
    internal byte[]? Bytes1 { get; private init; }

    private static long Utf8Length(string text) => Encoding.UTF8.GetByteCount(text);

    private static byte[] Int32s<T>(IReadOnlyList<T> values, Func<T, int> toInt)
    {
        // Never empty: the arena hands the child a valid pointer even for an empty list.
        byte[] bytes = new byte[Math.Max(4, values.Count * 4)];
        for (int i = 0; i < values.Count; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), toInt(values[i]));
        return bytes;
    }

    // The parent-child protocol and the process tree.

    /// <summary>Close every fd from <paramref name="from"/> up except <paramref name="keep"/> (sorted: the runtime's own, a held lock).</summary>
    public static Step CloseInherited(string description, int from, IReadOnlyList<int> keep) =>
        new(StepKind.CloseInherited, description) { A = from, B = keep.Count, Bytes1 = Int32s(keep, fd => fd) };

    /// <summary>Read a Go message on the sync socket; EOF means the parent died, and the child exits.</summary>
    public static Step WaitParent(string description, int sync) => new(StepKind.WaitParent, description) { Fd = sync };

    /// <summary>Send <paramref name="message"/> to the parent on the sync socket.</summary>
    public static Step Notify(string description, int sync, SyncKind message) => new(StepKind.Notify, description) { Fd = sync, A = (long)message };

    /// <summary>setns(2) into the namespace open at <paramref name="fd"/>, of the type named by its clone flag.</summary>
    public static Step SetNs(string description, int fd, long cloneFlag) => new(StepKind.SetNs, description) { Fd = fd, A = cloneFlag };

    public static Step Unshare(string description, long cloneFlags) => new(StepKind.Unshare, description) { A = cloneFlags };

    /// <summary>Clone once more; the middle process reports the new pid on the sync socket and exits.</summary>
    public static Step Fork(string description, int sync) => new(StepKind.Fork, description) { Fd = sync };

    /// <summary>setresgid/setresuid(0) inside a fresh user namespace.</summary>
    public static Step BecomeRoot(string description) => new(StepKind.BecomeRoot, description);

    /// <summary>Write <paramref name="content"/> to the absolute <paramref name="path"/> (a /proc path beneath the host's verified procfs).</summary>
    public static Step WriteFile(string description, string path, string content) =>
        new(StepKind.WriteFile, description) { S1 = path, S2 = content, A = Utf8Length(content) };

    // The rootfs and its mounts.

    /// <summary>mount(2) with <paramref name="target"/> an absolute path in the child's mount namespace.</summary>
    public static Step MountHost(string description, string? source, string target, long flags, string? fsType = null, string? data = null) =>
        new(StepKind.MountHost, description) { S1 = source, S2 = target, S3 = fsType, S4 = data, A = flags };

    /// <summary>Open <paramref name="path"/> (O_PATH|O_DIRECTORY) as the root every later in-root path is resolved beneath.</summary>
    public static Step OpenRoot(string description, string path) => new(StepKind.OpenRoot, description) { S1 = path };

    /// <summary>
    /// Mount <paramref name="source"/> onto <paramref name="target"/> (relative to the root), then,
    /// when given, remount it with <paramref name="remountFlags"/>, set <paramref name="attrSet"/>
    /// recursively (mount_setattr) and change its <paramref name="propagation"/>.
    /// </summary>
    /// <param name="detachedSource">A detached copy of a bind source (open_tree) the parent made: moved into place instead of mounting source; -1 for none.</param>
    public static Step MountInRoot(string description, string source, string target, string? fsType, long flags, string? data,
        PathCreate create, MountInRootOptions options = MountInRootOptions.None, long remountFlags = 0, long attrSet = 0, long propagation = 0,
        int detachedSource = -1) =>
        new(StepKind.MountInRoot, description)
        {
            S1 = source, S2 = target, S3 = fsType, S4 = data, A = flags, B = (long)create | (long)options,
            C = remountFlags, D = attrSet, E = propagation, Fd = detachedSource,
        };

    /// <summary>mknod <paramref name="path"/> in root with <paramref name="mode"/> (type and permissions), owned by uid:gid.</summary>
    public static Step Mknod(string description, string path, long mode, ulong device, uint uid, uint gid) =>
        new(StepKind.Mknod, description) { S1 = path, A = mode, B = (long)device, C = uid, D = gid };

    /// <summary>Bind the host's node <paramref name="hostPath"/> over an empty file at <paramref name="path"/> in root (a device in a user namespace).</summary>
    public static Step BindDevice(string description, string path, string hostPath) =>
        new(StepKind.BindDevice, description) { S1 = path, S2 = hostPath };

    /// <summary>Create <paramref name="link"/> in root pointing at <paramref name="target"/>.</summary>
    public static Step Symlink(string description, string target, string link, SymlinkExisting existing = SymlinkExisting.Keep) =>
        new(StepKind.Symlink, description) { S1 = target, S2 = link, A = (long)existing };

    /// <summary>Hide <paramref name="path"/> in root: the host's /dev/null over a file, a read-only tmpfs over a directory.</summary>
    public static Step MaskPath(string description, string path) => new(StepKind.MaskPath, description) { S1 = path };

    /// <summary>Bind <paramref name="path"/> in root onto itself, read-only.</summary>
    public static Step ReadonlyPath(string description, string path) => new(StepKind.ReadonlyPath, description) { S1 = path };

    /// <summary>Remount the mount at <paramref name="path"/> in root with <paramref name="flags"/>, after what was mounted beneath it.</summary>
    public static Step RemountInRoot(string description, string path, long flags) =>
        new(StepKind.RemountInRoot, description) { S1 = path, A = flags };

    /// <summary>mkdir -p <paramref name="path"/> inside root.</summary>
    public static Step EnsureDirectory(string description, string path) => new(StepKind.EnsureDirectory, description) { S1 = path };

    public static Step RemountRootReadonly(string description) => new(StepKind.RemountRootReadonly, description);

    /// <summary>pivot_root into the root, the old root detached.</summary>
    public static Step PivotRoot(string description) => new(StepKind.PivotRoot, description);

    /// <summary>--no-pivot: MS_MOVE the root onto / and chroot into it.</summary>
    public static Step MoveRoot(string description) => new(StepKind.MoveRoot, description);

    // The process: its names, limits, terminal, identity and program.

    public static Step SetHostname(string description, string name) =>
        new(StepKind.SetHostname, description) { S1 = name, A = Utf8Length(name) };

    public static Step SetDomainname(string description, string name) =>
        new(StepKind.SetDomainname, description) { S1 = name, A = Utf8Length(name) };

    /// <summary>prlimit(2) of <paramref name="resource"/> (RLIMIT_*) on the process itself.</summary>
    public static Step Rlimit(string description, int resource, ulong soft, ulong hard) =>
        new(StepKind.Rlimit, description) { A = resource, B = (long)soft, C = (long)hard };

    public static Step Personality(string description, long persona) => new(StepKind.Personality, description) { A = persona };

    /// <summary>
    /// A pty from the root's /dev/ptmx: the master sent to the console socket, the slave made stdio
    /// and controlling terminal (and, for the container, bound over /dev/console). Zero rows and
    /// columns leave the size alone.
    /// </summary>
    public static Step Console(string description, int consoleSocket, uint rows, uint columns, ConsoleFor role) =>
        new(StepKind.Console, description) { Fd = consoleSocket, A = rows, B = columns, C = (long)role };

    public static Step Setsid(string description) => new(StepKind.Setsid, description);

    /// <summary>Join the session keyring <paramref name="name"/> (null: a new anonymous one), then set its permissions (0 leaves them).</summary>
    public static Step SessionKeyring(string description, string? name, long permissions) =>
        new(StepKind.SessionKeyring, description) { S1 = name, A = permissions };

    /// <summary>Drop from the bounding set every capability up to <paramref name="lastCapability"/> not in <paramref name="keep"/>.</summary>
    public static Step DropBounding(string description, long keep, int lastCapability) =>
        new(StepKind.DropBounding, description) { A = keep, B = lastCapability };

    /// <summary>PR_SET_KEEPCAPS: whether permitted capabilities survive the coming setuid.</summary>
    public static Step KeepCaps(string description, bool keep) => new(StepKind.KeepCaps, description) { A = keep ? 1 : 0 };

    public static Step SetGroups(string description, IReadOnlyList<uint> gids) =>
        new(StepKind.SetGroups, description) { A = gids.Count, Bytes1 = Int32s(gids, gid => (int)gid) };

    /// <summary>setresgid(gid) then setresuid(uid).</summary>
    public static Step SetIds(string description, uint uid, uint gid) => new(StepKind.SetIds, description) { A = uid, B = gid };

    public static Step CapSet(string description, long effective, long permitted, long inheritable) =>
        new(StepKind.CapSet, description) { A = effective, B = permitted, C = inheritable };

    /// <summary>Clear the ambient set, then raise the capabilities in <paramref name="mask"/>.</summary>
    public static Step Ambient(string description, long mask) => new(StepKind.Ambient, description) { A = mask };

    public static Step NoNewPrivileges(string description) => new(StepKind.NoNewPrivileges, description);

    public static Step Umask(string description, uint mask) => new(StepKind.Umask, description) { A = mask };

    public static Step Chdir(string description, string path) => new(StepKind.Chdir, description) { S1 = path };

    /// <summary>Mark every fd from <paramref name="from"/> up close-on-exec.</summary>
    public static Step CloseFrom(string description, int from) => new(StepKind.CloseFrom, description) { A = from };

    /// <summary>Pick the first executable regular file among <paramref name="candidates"/> for <paramref name="name"/>.</summary>
    public static Step ResolveExecutable(string description, string name, IReadOnlyList<string> candidates) =>
        new(StepKind.ResolveExecutable, description) { S1 = name, V1 = candidates };

    /// <summary>Wait for the start signal on <paramref name="fd"/>.</summary>
    public static Step WaitStart(string description, int fd, StartSignal signal) => new(StepKind.WaitStart, description) { Fd = fd, A = (long)signal };

    /// <summary>fork+exec the hook with the container's state on stdin (<paramref name="stateFd"/>); zero seconds is no timeout.</summary>
    public static Step RunHook(string description, string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp, int timeoutSeconds, int stateFd) =>
        new(StepKind.RunHook, description) { S1 = path, V1 = argv, V2 = envp, A = timeoutSeconds, Fd = stateFd };

    /// <summary>Load a seccomp filter of <paramref name="instructions"/> BPF instructions with SECCOMP_FILTER_FLAG_* <paramref name="flags"/>.</summary>
    public static Step Seccomp(string description, byte[] filter, int instructions, long flags) =>
        new(StepKind.Seccomp, description) { Bytes1 = filter, A = instructions, B = flags };

    /// <summary>
    /// Load a filter with a listener (flags include NEW_LISTENER), send the listener fd to the parent
    /// on the sync socket and wait for Go. The parent forwards it to <paramref name="listenerPath"/>
    /// with <paramref name="metadata"/>, both read back through <see cref="SeccompListener"/>.
    /// </summary>
    public static Step SeccompNotify(string description, byte[] filter, int instructions, long flags, int sync, string? listenerPath, string? metadata) =>
        new(StepKind.SeccompNotify, description) { Bytes1 = filter, A = instructions, B = flags, Fd = sync, S2 = listenerPath, S3 = metadata };

    /// <summary>Where and with what the parent hands a <see cref="StepKind.SeccompNotify"/> listener over.</summary>
    internal (string? Path, string? Metadata) SeccompListener => Kind == StepKind.SeccompNotify ? (S2, S3) : (null, null);

    /// <summary>ioprio_set(IOPRIO_WHO_PROCESS, self, <paramref name="priority"/>).</summary>
    public static Step IoPriority(string description, long priority) => new(StepKind.IoPriority, description) { A = priority };

    /// <summary>sched_setattr(self) with the sched_attr laid out in <paramref name="attr"/>.</summary>
    public static Step Scheduler(string description, byte[] attr) => new(StepKind.Scheduler, description) { Bytes1 = attr };

    /// <summary>sched_setaffinity(self) to the CPU bit mask.</summary>
    public static Step Affinity(string description, byte[] mask) => new(StepKind.Affinity, description) { Bytes1 = mask, A = mask.Length };

    /// <summary>
    /// Write <paramref name="value"/> to the LSM <paramref name="attribute"/> (or <paramref name="fallback"/>
    /// where it is missing) beneath the container's /proc, no mount crossed: the label of the next execve.
    /// </summary>
    public static Step ExecLabel(string description, string attribute, string? fallback, string value) =>
        new(StepKind.ExecLabel, description) { S1 = attribute, S3 = fallback, S2 = value, A = Utf8Length(value) };

    /// <summary>Unblock every signal (blocked since clone), so that nothing but execve follows the seccomp filter.</summary>
    public static Step UnblockSignals(string description) => new(StepKind.UnblockSignals, description);

    /// <summary>execve(2) of the executable a <see cref="StepKind.ResolveExecutable"/> step chose.</summary>
    public static Step Exec(string description, IReadOnlyList<string> argv, IReadOnlyList<string> envp) =>
        new(StepKind.Exec, description) { V1 = argv, V2 = envp };
}
