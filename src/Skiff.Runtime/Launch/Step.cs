namespace Skiff.Runtime.Launch;

/// <summary>What the cloned child does, one system-call-sized action at a time.</summary>
public enum StepKind
{
    CloseInherited = 1,  // close every fd from A up except the Bytes1 list (the runtime's own fds, a held lock)
    WaitParent,      // read a Go message on the sync socket (Fd); EOF means the parent died: exit
    Notify,              // send message A to the parent on the sync socket (Fd)
    SetNs,               // setns(Fd, A)
    Unshare,             // unshare(A)
    Fork,                // clone once more; the middle process reports the new pid on Fd and exits
    BecomeRoot,          // setresgid/setresuid(0) inside a fresh user namespace
    WriteFile,           // write S2 (A bytes) to the absolute path S1
    MountHost,           // mount(S1, S2, S3, A, S4) with S2 an absolute host path
    OpenRoot,            // open S1 (O_PATH|O_DIRECTORY) as the child's root handle
    MountInRoot,         // mount(S1 -> S2 inside root, S3, A, S4); B = create (0 no, 1 dir, 2 file) | 0x100 no symlink on the way | 0x200 copy up (the parent fills the new mount); C = remount flags; D = mount_setattr attr_set (recursive); E = propagation flags
    Mknod,               // mknod S1 in root, mode A, device B, owner C:D
    BindDevice,          // bind host S2 onto S1 in root (devices in a user namespace)
    Symlink,             // symlink S2 -> S1 in root (link S2 holds target S1)
    MaskPath,            // hide S1 in root: /dev/null (Fd) over files, read-only tmpfs over directories
    ReadonlyPath,        // bind S1 in root onto itself read-only
    RemountInRoot,       // remount the mount at S1 in root with flags A (after what was mounted beneath it)
    EnsureDirectory,     // mkdir -p S1 inside root
    RemountRootReadonly, // the rootfs mount, read-only
    PivotRoot,           // pivot_root into root, old root detached
    MoveRoot,            // --no-pivot: MS_MOVE root onto / and chroot
    SetHostname,         // sethostname(S1, A)
    SetDomainname,       // setdomainname(S1, A)
    Rlimit,              // prlimit(A, soft B, hard C)
    Personality,         // personality(A)
    Console,             // pty from /dev/ptmx, master sent on Fd (console socket), slave as stdio + ctty, rows A cols B; C = 1: no /dev/console (exec)
    Setsid,
    SessionKeyring,      // join session keyring named S1 (null: a new anonymous one), then set its permissions to A (0: leave)
    DropBounding,        // drop every capability up to B not in mask A from the bounding set
    KeepCaps,            // PR_SET_KEEPCAPS A
    SetGroups,           // setgroups(A gids at S1)
    SetIds,              // setresgid(B) then setresuid(A)
    CapSet,              // effective A, permitted B, inheritable C
    Ambient,             // raise ambient capabilities in mask A
    NoNewPrivileges,
    Umask,               // umask(A)
    Chdir,               // chdir(S1)
    CloseFrom,           // mark every fd >= A close-on-exec
    ResolveExecutable,   // pick the first executable of candidates V1 (S1: the name asked for)
    WaitStart,           // A=1: read a byte on the exec fifo (Fd); A=2: wait for Go on the sync socket (Fd)
    RunHook,             // fork+exec hook S1 argv V1 envp V2 with stdin = state (Fd), timeout A seconds
    Seccomp,             // load the seccomp filter at S1 (A instructions) with flags B
    SeccompNotify,       // load the filter at S1 (A instructions, flags B with NEW_LISTENER), send the listener fd to the parent on Fd, wait for Go
    IoPriority,          // ioprio_set(IOPRIO_WHO_PROCESS, self, A)
    Scheduler,           // sched_setattr(self, the sched_attr at S1)
    Affinity,            // sched_setaffinity(self, A bytes of mask at S1)
    ExecLabel,           // write S2 (A bytes) to the attribute S1 (fallback S3) beneath the container's /proc, no mount crossed: the LSM label of the next execve
    UnblockSignals,      // unblock every signal (blocked since clone), so that nothing but execve follows the seccomp filter
    Exec,                // execve(resolved executable, V1, V2)
}

/// <summary>
/// One step of a <see cref="LaunchPlan"/>. Fields are generic so the plan lowers into one flat native
/// array; the factory methods below give each kind its meaning, and Description is what an error
/// message names when the step fails.
/// </summary>
public sealed record Step(StepKind Kind, string Description)
{
    public int Fd { get; init; } = -1;
    public long A { get; init; }
    public long B { get; init; }
    public long C { get; init; }
    public long D { get; init; }
    public long E { get; init; }
    public string? S1 { get; init; }
    public string? S2 { get; init; }
    public string? S3 { get; init; }
    public string? S4 { get; init; }
    public IReadOnlyList<string>? V1 { get; init; }
    public IReadOnlyList<string>? V2 { get; init; }

    /// <summary>Binary payload for S1 when it is not text (setgroups' gid array).</summary>
    public byte[]? Bytes1 { get; init; }
}
