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
