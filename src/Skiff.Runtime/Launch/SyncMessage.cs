using System.Runtime.InteropServices;

namespace Skiff.Runtime.Launch;

/// <summary>The fixed-size datagram the parent and the child exchange on their SEQPACKET socket pair.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SyncMessage
{
    public SyncKind Kind;
    public int Step;
    public int Errno;
    public int Value;
}

/// <summary>
/// What the parent (runtime) and the child (container init, or an exec's process) say to each
/// other, in the only order <see cref="SyncProtocol"/> accepts. Brackets are optional; each "Go"
/// is the parent's answer the child blocks for; Failed may replace any child message and ends the
/// launch.
/// <code>
///   child                                   parent
///   NeedSetup ──────────────────────────────► write uid/gid maps, join cgroup, oom_score_adj
///             ◄────────────────────────────── Go
///   [middle: Pid(pid) ──────────────────────► the container process is pid; reap the middle]
///   [CopyUp(hidden fd, mount fd) ─── n× ────► copy the image's files into the new tmpfs
///             ◄────────────────────────────── Go]
///   [NeedRuntimeHooks ──────────────────────► state memfd; prestart, createRuntime hooks
///             ◄────────────────────────────── Go]
///   [SeccompListener + fd (SCM_RIGHTS) ─────► take the listener
///             ◄────────────────────────────── Go; hand it to listenerPath]
///   Ready ──────────────────────────────────► created: record, --pid-file; create returns here
///   run and exec only:
///             ◄────────────────────────────── Go (instead of the exec fifo)
///   execve: the socket closes (EOF) ────────► started; or Failed(step, errno)
/// </code>
/// </summary>
public enum SyncKind
{
    Go = 1,              // parent -> child: carry on
    NeedSetup = 2,       // child -> parent: write my id maps, put me in my cgroup
    Pid = 3,             // middle process -> parent: the container's pid is Value
    NeedRuntimeHooks = 4,// child -> parent: namespaces and mounts are ready, run prestart/createRuntime
    Ready = 5,           // child -> parent: waiting for start
    Failed = 6,          // child -> parent: step Step failed with Errno (Value: hook exit status)
    SeccompListener = 7, // child -> parent: the seccomp listener fd rides along (SCM_RIGHTS); Go once the parent holds it
    CopyUp = 8,          // child -> parent: copy what the directory at fd Value holds into the new mount at fd Errno (tmpcopyup); Go when done
}

/// <summary>
/// The order of the child's messages (see <see cref="SyncKind"/>): each may only follow those
/// before it, CopyUp may repeat, the rest come once. A message out of order means the child is not
/// running the plan the parent made, so the launch stops there.
/// </summary>
internal sealed class SyncProtocol
{
    /// <summary>The child's messages in their order; a message's phase is its place here, from 1.</summary>
    private static readonly SyncKind[] Order =
        [SyncKind.NeedSetup, SyncKind.Pid, SyncKind.CopyUp, SyncKind.NeedRuntimeHooks, SyncKind.SeccompListener, SyncKind.Ready];

    private int _phase;

    /// <summary>Takes the next message from the child; throws when it comes out of order or is not the child's to send.</summary>
    public void Accept(SyncKind kind)
    {
        if (kind == SyncKind.Failed) return;
        int phase = Array.IndexOf(Order, kind) + 1;
        if (phase == 0) throw new RuntimeException($"container init sent an unknown message {(int)kind}");
        bool repeats = kind == SyncKind.CopyUp && _phase == phase;
        bool first = _phase == 0;
        if ((phase <= _phase && !repeats) || (first && kind != SyncKind.NeedSetup))
            throw new RuntimeException($"container init sent {kind} out of order (after {(first ? "nothing" : Order[_phase - 1])})");
        _phase = phase;
    }
}
