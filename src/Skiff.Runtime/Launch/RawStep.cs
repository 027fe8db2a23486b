using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Skiff.Runtime.Launch;

/// <summary>
/// A step as the child reads it: the <see cref="Step"/>'s slots copied into the plan's arena,
/// strings as pointers into it. The child never touches a slot by its letter: each kind has a
/// view below naming what <see cref="Step"/>'s factory of that kind put there.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe partial struct RawStep
{
    public StepKind Kind;
    public int Fd;
    public long A, B, C, D, E;
    public byte* S1, S2, S3, S4;
    public byte** V1, V2;

    /// <summary>The step lives in the unmovable arena: views keep its address.</summary>
    private RawStep* Self => (RawStep*)Unsafe.AsPointer(ref this);

    public CloseInheritedArgs CloseInherited => new(Self);
    public SyncArgs WaitParent => new(Self);
    public NotifyArgs Notify => new(Self);
    public SetNsArgs SetNs => new(Self);
    public UnshareArgs Unshare => new(Self);
    public SyncArgs Fork => new(Self);
    public WriteFileArgs WriteFile => new(Self);
    public MountHostArgs MountHost => new(Self);
    public PathArgs OpenRoot => new(Self);
    public MountInRootArgs MountInRoot => new(Self);
    public MknodArgs Mknod => new(Self);
    public BindDeviceArgs BindDevice => new(Self);
    public SymlinkArgs Symlink => new(Self);
    public PathArgs MaskPath => new(Self);
    public PathArgs ReadonlyPath => new(Self);
    public RemountInRootArgs RemountInRoot => new(Self);
    public PathArgs EnsureDirectory => new(Self);
    public NameArgs SetHostname => new(Self);
    public NameArgs SetDomainname => new(Self);
    public RlimitArgs Rlimit => new(Self);
    public PersonalityArgs Personality => new(Self);
    public ConsoleArgs Console => new(Self);
    public SessionKeyringArgs SessionKeyring => new(Self);
    public DropBoundingArgs DropBounding => new(Self);
    public KeepCapsArgs KeepCaps => new(Self);
    public SetGroupsArgs SetGroups => new(Self);
    public SetIdsArgs SetIds => new(Self);
    public CapSetArgs CapSet => new(Self);
    public CapabilityMaskArgs Ambient => new(Self);
    public UmaskArgs Umask => new(Self);
    public PathArgs Chdir => new(Self);
    public CloseFromArgs CloseFrom => new(Self);
    public ResolveExecutableArgs ResolveExecutable => new(Self);
    public WaitStartArgs WaitStart => new(Self);
    public RunHookArgs RunHook => new(Self);
    public SeccompArgs Seccomp => new(Self);
    public SeccompArgs SeccompNotify => new(Self);
    public IoPriorityArgs IoPriority => new(Self);
    public SchedulerArgs Scheduler => new(Self);
    public AffinityArgs Affinity => new(Self);
    public ExecLabelArgs ExecLabel => new(Self);
    public ExecArgs Exec => new(Self);
}

internal readonly unsafe struct CloseInheritedArgs(RawStep* s)
{
    public long From => s->A;
    public int KeptCount => (int)s->B;
    /// <summary>The fds kept open, sorted.</summary>
    public int* Kept => (int*)s->S1;
}

/// <summary>A step that only talks to the parent: its sync socket.</summary>
internal readonly unsafe struct SyncArgs(RawStep* s)
{
    public int Socket => s->Fd;
}

internal readonly unsafe struct NotifyArgs(RawStep* s)
{
    public int Socket => s->Fd;
    public SyncKind Message => (SyncKind)s->A;
}

internal readonly unsafe struct SetNsArgs(RawStep* s)
{
    public int Namespace => s->Fd;
    public long CloneFlag => s->A;
}

internal readonly unsafe struct UnshareArgs(RawStep* s)
{
    public long CloneFlags => s->A;
}

internal readonly unsafe struct WriteFileArgs(RawStep* s)
{
    public byte* Path => s->S1;
    public byte* Content => s->S2;
    public long Length => s->A;
}

internal readonly unsafe struct MountHostArgs(RawStep* s)
{
    public byte* Source => s->S1;
    public byte* Target => s->S2;
    public byte* FsType => s->S3;
    public long Flags => s->A;
    public byte* Data => s->S4;
}

/// <summary>A step that acts on one path (relative to the root, or as the kind says).</summary>
internal readonly unsafe struct PathArgs(RawStep* s)
{
    public byte* Path => s->S1;
}

internal readonly unsafe struct MountInRootArgs(RawStep* s)
{
    /// <summary>The low byte of the packed slot is the <see cref="PathCreate"/>; the options' bits lie above it.</summary>
    private const long CreateBits = 0xff;

    public byte* Source => s->S1;
    public byte* Target => s->S2;
    public byte* FsType => s->S3;
    public long Flags => s->A;
    public byte* Data => s->S4;
    public PathCreate Create => (PathCreate)(s->B & CreateBits);
    public MountInRootOptions Options => (MountInRootOptions)(s->B & ~CreateBits);
    public long RemountFlags => s->C;
    public long AttrSet => s->D;
    public long Propagation => s->E;
    /// <summary>The parent's open_tree copy of the source to move into place; -1 for none.</summary>
    public int DetachedSource => s->Fd;
}

internal readonly unsafe struct MknodArgs(RawStep* s)
{
    public byte* Path => s->S1;
    public long Mode => s->A;
    public long Device => s->B;
    public long Uid => s->C;
    public long Gid => s->D;
}

internal readonly unsafe struct BindDeviceArgs(RawStep* s)
{
    public byte* Path => s->S1;
    public byte* HostPath => s->S2;
}

internal readonly unsafe struct SymlinkArgs(RawStep* s)
{
    public byte* Target => s->S1;
    public byte* Link => s->S2;
    public SymlinkExisting Existing => (SymlinkExisting)s->A;
}

internal readonly unsafe struct RemountInRootArgs(RawStep* s)
{
    public byte* Path => s->S1;
    public long Flags => s->A;
}

internal readonly unsafe struct NameArgs(RawStep* s)
{
    public byte* Name => s->S1;
    public long Length => s->A;
}

internal readonly unsafe struct RlimitArgs(RawStep* s)
{
    public long Resource => s->A;
    public long Soft => s->B;
    public long Hard => s->C;
}

internal readonly unsafe struct PersonalityArgs(RawStep* s)
{
    public long Persona => s->A;
}

internal readonly unsafe struct ConsoleArgs(RawStep* s)
{
    public int Socket => s->Fd;
    public long Rows => s->A;
    public long Columns => s->B;
    public ConsoleFor For => (ConsoleFor)s->C;
}

internal readonly unsafe struct SessionKeyringArgs(RawStep* s)
{
    /// <summary>Null: a new anonymous keyring.</summary>
    public byte* Name => s->S1;
    /// <summary>Zero leaves them as the kernel made them.</summary>
    public long Permissions => s->A;
}

internal readonly unsafe struct DropBoundingArgs(RawStep* s)
{
    public long Keep => s->A;
    public long LastCapability => s->B;
}

internal readonly unsafe struct KeepCapsArgs(RawStep* s)
{
    public long Keep => s->A;
}

internal readonly unsafe struct SetGroupsArgs(RawStep* s)
{
    public long Count => s->A;
    public byte* Gids => s->S1;
}

internal readonly unsafe struct SetIdsArgs(RawStep* s)
{
    public long Uid => s->A;
    public long Gid => s->B;
}

internal readonly unsafe struct CapSetArgs(RawStep* s)
{
    public long Effective => s->A;
    public long Permitted => s->B;
    public long Inheritable => s->C;
}

internal readonly unsafe struct CapabilityMaskArgs(RawStep* s)
{
    public long Mask => s->A;
}

internal readonly unsafe struct UmaskArgs(RawStep* s)
{
    public long Mask => s->A;
}

internal readonly unsafe struct CloseFromArgs(RawStep* s)
{
    public long From => s->A;
}

internal readonly unsafe struct ResolveExecutableArgs(RawStep* s)
{
    public byte** Candidates => s->V1;
}

internal readonly unsafe struct WaitStartArgs(RawStep* s)
{
    public int Fd => s->Fd;
    public StartSignal Signal => (StartSignal)s->A;
}

internal readonly unsafe struct RunHookArgs(RawStep* s)
{
    public byte* Path => s->S1;
    public byte** Argv => s->V1;
    public byte** Envp => s->V2;
    public long TimeoutSeconds => s->A;
    /// <summary>The state JSON the hook reads on stdin.</summary>
    public int State => s->Fd;
}

internal readonly unsafe struct SeccompArgs(RawStep* s)
{
    public byte* Filter => s->S1;
    public long Instructions => s->A;
    public long Flags => s->B;
    /// <summary>The sync socket a listener fd goes to (SeccompNotify only).</summary>
    public int Socket => s->Fd;
}

internal readonly unsafe struct IoPriorityArgs(RawStep* s)
{
    public long Priority => s->A;
}

internal readonly unsafe struct SchedulerArgs(RawStep* s)
{
    public byte* Attr => s->S1;
}

internal readonly unsafe struct AffinityArgs(RawStep* s)
{
    public byte* Mask => s->S1;
    public long Length => s->A;
}

internal readonly unsafe struct ExecLabelArgs(RawStep* s)
{
    public byte* Attribute => s->S1;
    /// <summary>Where the attribute is missing (an older kernel's generic one); null for none.</summary>
    public byte* Fallback => s->S3;
    public byte* Value => s->S2;
    public long Length => s->A;
}

internal readonly unsafe struct ExecArgs(RawStep* s)
{
    public byte** Argv => s->V1;
    public byte** Envp => s->V2;
}
