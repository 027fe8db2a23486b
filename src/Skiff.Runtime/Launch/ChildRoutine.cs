using static Skiff.Linux.Interop.Raw;
using static Skiff.Linux.Kernel;
using Sc = Skiff.Linux.Syscall;

namespace Skiff.Runtime.Launch;

/// <summary>
/// The code the cloned child runs: a straight interpreter over the parent's prepared steps.
/// It holds to the fork-safety rules in ARCHITECTURE.md: no allocation, no strings, no exceptions,
/// no statics, no locks; only raw system calls over the native plan and stack buffers. A failure
/// is reported as (step, errno) on the sync socket and ends the process.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // no zeroing helper runs for the stack buffers
internal static unsafe partial class ChildRoutine
{
    private const int PathMax = 4096;
    /// <summary>
    /// Forks; the middle process reports the new pid and exits. The new process first waits for the
    /// middle's end (EOF on a pipe only the middle holds), so the parent reads Pid before anything the
    /// new process sends, and never takes the middle's exit for the container process's.
    /// </summary>
    private static long ForkReportingPid(int syncFd, int step, int* pipe)
    {
        long r = Sys(Sc.Pipe2, (long)pipe, O_CLOEXEC);
        if (r < 0) return r;
        // The new process is born inside namespaces others may share (a joined PID namespace,
        // exec): until it execs it is the runtime, so no process there may open its /proc/PID
        // (fds, exe, root, memory) without CAP_SYS_PTRACE (CVE-2016-9962, CVE-2019-5736).
        // execve makes the container's program dumpable again.
        Sys(Sc.Prctl, PR_SET_DUMPABLE, 0);
        r = Sys(Sc.Clone, Skiff.Linux.Signal.SIGCHLD, 0, 0, 0, 0);
        if (r > 0)
        {
            Send(syncFd, SyncKind.Pid, step, 0, (int)r);
            Sys(Sc.ExitGroup, 0);
        }
        if (r < 0) return r;
        Sys(Sc.Close, pipe[1]);
        byte b;
        while (Sys(Sc.Read, pipe[0], (long)&b, 1) == -Skiff.Linux.Errno.EINTR) { }
        Sys(Sc.Close, pipe[0]);
        return 0;
    }
    public static void Run(ChildContext* ctx)
    {
        byte* path = stackalloc byte[PathMax * 2]; // ResolveParentInRoot: the directory, then ResolveInRoot's copy of it
        byte* fdPath = stackalloc byte[32];
        byte* fdPath2 = stackalloc byte[32];
        byte* stat = stackalloc byte[256];
        int root = -1;
        int devNull = -1;
        int proc = -1;
        byte* executable = null;
        int syncFd = ctx->SyncFd;
        ResetSignals();

        for (int i = 0; i < ctx->Count; i++)
        {
            RawStep* s = ctx->Steps + i;
            long r = 0;
            switch (s->Kind)
            {
                case StepKind.CloseInherited:
                    r = CloseInherited(s->CloseInherited);
                    if (r >= 0) r = proc = (int)OpenProcfs(stat);
                    break;
                case StepKind.WaitParent:
                    r = WaitGo(s->WaitParent.Socket);
                    break;
                case StepKind.Notify:
                    Send(s->Notify.Socket, s->Notify.Message, i, 0, 0);
                    break;
                case StepKind.SetNs:
                    r = Sys(Sc.Setns, s->SetNs.Namespace, s->SetNs.CloneFlag);
                    break;
                case StepKind.Unshare:
                    r = Sys(Sc.Unshare, s->Unshare.CloneFlags);
                    break;
                case StepKind.Fork:
                    r = ForkReportingPid(s->Fork.Socket, i, (int*)stat);
                    break;
                case StepKind.BecomeRoot:
                    r = Sys(Sc.Setresgid, 0, 0, 0);
                    if (r >= 0) r = Sys(Sc.Setresuid, 0, 0, 0);
                    break;
                case StepKind.WriteFile:
                    r = WriteFile(proc, s->WriteFile);
                    break;
                case StepKind.MountHost:
                {
                    MountHostArgs m = s->MountHost;
                    r = Sys(Sc.Mount, (long)m.Source, (long)m.Target, (long)m.FsType, m.Flags, (long)m.Data);
                    break;
                }
                case StepKind.OpenRoot:
                    if (root >= 0) Sys(Sc.Close, root);
                    r = root = (int)Sys(Sc.Openat, AT_FDCWD, (long)s->OpenRoot.Path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                    break;
                case StepKind.MountInRoot:
                    r = MountInRoot(root, s->MountInRoot, path, fdPath, stat, syncFd, i);
                    break;
                case StepKind.Mknod:
                    r = Mknod(root, s->Mknod, path);
                    break;
                case StepKind.BindDevice:
                    r = BindDevice(root, s->BindDevice, path, fdPath);
                    break;
                case StepKind.Symlink:
                    r = Symlink(root, s->Symlink, path);
                    break;
                case StepKind.MaskPath:
                    if (devNull < 0) r = devNull = (int)OpenDevNull(stat);
                    if (r >= 0) r = MaskPath(root, s->MaskPath.Path, devNull, fdPath, fdPath2, stat);
                    break;
                case StepKind.ReadonlyPath:
                    r = ReadonlyPath(root, s->ReadonlyPath.Path, fdPath, stat);
                    break;
                case StepKind.EnsureDirectory:
                    r = ResolveInRoot(root, s->EnsureDirectory.Path, PathCreate.Directory, path);
                    if (r >= 0) { Sys(Sc.Close, r); r = 0; }
                    break;
                case StepKind.RemountInRoot:
                    r = RemountInRoot(root, s->RemountInRoot, fdPath);
                    break;
                case StepKind.RemountRootReadonly:
                    FdPath(fdPath, root);
                    r = Sys(Sc.Mount, 0, (long)fdPath, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | LockedFlags(root, stat), 0);
                    break;
                case StepKind.PivotRoot:
                    r = PivotRoot(root);
                    CloseRootHandles(ref root, ref devNull, ref proc);
                    break;
                case StepKind.MoveRoot:
                    r = MoveRoot(root);
                    CloseRootHandles(ref root, ref devNull, ref proc);
                    break;
                case StepKind.SetHostname:
                    r = Sys(Sc.Sethostname, (long)s->SetHostname.Name, s->SetHostname.Length);
                    break;
                case StepKind.SetDomainname:
                    r = Sys(Sc.Setdomainname, (long)s->SetDomainname.Name, s->SetDomainname.Length);
                    break;
                case StepKind.Rlimit:
                    r = SetRlimit(s->Rlimit);
                    break;
                case StepKind.Personality:
                    r = Sys(Sc.Personality, s->Personality.Persona);
                    break;
                case StepKind.Console:
                    r = Console(root, s->Console, path, fdPath, fdPath2, stat);
                    break;
                case StepKind.Setsid:
                    r = Sys(Sc.Setsid);
                    if (r == -Skiff.Linux.Errno.EPERM) r = 0;
                    break;
                case StepKind.SessionKeyring:
                {
                    SessionKeyringArgs keyring = s->SessionKeyring;
                    r = Sys(Sc.Keyctl, KEYCTL_JOIN_SESSION_KEYRING, (long)keyring.Name);
                    if (r >= 0 && keyring.Permissions != 0) r = Sys(Sc.Keyctl, KEYCTL_SETPERM, r, keyring.Permissions);
                    // Keyrings are best effort, as in runc: a kernel without them runs the container anyway.
                    if (r == -Skiff.Linux.Errno.ENOSYS) r = 0;
                    break;
                }
                case StepKind.DropBounding:
                    r = DropBounding(s->DropBounding);
                    break;
                case StepKind.KeepCaps:
                    r = Sys(Sc.Prctl, PR_SET_KEEPCAPS, s->KeepCaps.Keep);
                    break;
                case StepKind.SetGroups:
                    r = Sys(Sc.Setgroups, s->SetGroups.Count, (long)s->SetGroups.Gids);
                    break;
                case StepKind.SetIds:
                {
                    SetIdsArgs ids = s->SetIds;
                    r = Sys(Sc.Setresgid, ids.Gid, ids.Gid, ids.Gid);
                    if (r >= 0) r = Sys(Sc.Setresuid, ids.Uid, ids.Uid, ids.Uid);
                    break;
                }
                case StepKind.CapSet:
                    r = CapSet(s->CapSet);
                    break;
                case StepKind.Ambient:
                    r = RaiseAmbient(s->Ambient.Mask);
                    break;
                case StepKind.NoNewPrivileges:
                    r = Sys(Sc.Prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                    break;
                case StepKind.Umask:
                    Sys(Sc.Umask, s->Umask.Mask);
                    break;
                case StepKind.Chdir:
                    // An exec never pivots: the host /proc handle must be gone before a cwd such as
                    // /proc/self/fd/N could name it (CVE-2024-21626).
                    if (proc >= 0) { Sys(Sc.Close, proc); proc = -1; }
                    r = Sys(Sc.Chdir, (long)s->Chdir.Path);
                    break;
                case StepKind.CloseFrom:
                    r = Sys(Sc.CloseRange, s->CloseFrom.From, uint.MaxValue, CLOSE_RANGE_CLOEXEC);
                    break;
                case StepKind.ResolveExecutable:
                    executable = ResolveExecutable(s->ResolveExecutable.Candidates, stat, &r);
                    break;
                case StepKind.WaitStart:
                    // A created container can be exec'd into: while its init waits here it is still
                    // the runtime, holding the exec fifo and the sync socket (CVE-2016-9962).
                    Sys(Sc.Prctl, PR_SET_DUMPABLE, 0);
                    r = s->WaitStart.Signal == StartSignal.ExecFifo ? ReadByte(s->WaitStart.Fd) : WaitGo(s->WaitStart.Fd);
                    break;
                case StepKind.RunHook:
                    r = RunHook(s->RunHook, syncFd, i);
                    break;
                case StepKind.Seccomp:
                    r = LoadSeccomp(s->Seccomp);
                    break;
                case StepKind.SeccompNotify:
                    r = SeccompNotify(s->SeccompNotify, i);
                    break;
                case StepKind.IoPriority:
                    r = Sys(Sc.IoprioSet, IOPRIO_WHO_PROCESS, 0, s->IoPriority.Priority);
                    break;
                case StepKind.Scheduler:
                    r = Sys(Sc.SchedSetattr, 0, (long)s->Scheduler.Attr, 0);
                    break;
                case StepKind.Affinity:
                    r = Sys(Sc.SchedSetaffinity, 0, s->Affinity.Length, (long)s->Affinity.Mask);
                    break;
                case StepKind.ExecLabel:
                    r = ExecLabel(s->ExecLabel, stat);
                    break;
                case StepKind.UnblockSignals:
                {
                    ulong none = 0;
                    r = Sys(Sc.RtSigprocmask, SIG_SETMASK, (long)&none, 0, 8);
                    break;
                }
                case StepKind.Exec:
                    r = Sys(Sc.Execve, (long)executable, (long)s->Exec.Argv, (long)s->Exec.Envp);
                    break;
            }
            if (r < 0) Fail(syncFd, i, (int)-r, 0);
        }
        Sys(Sc.ExitGroup, 0);
    }
    /// <summary>Once inside the new root, no handle on the host's filesystem stays open (CVE-2024-21626).</summary>
    private static void CloseRootHandles(ref int root, ref int devNull, ref int proc)
    {
        if (root >= 0) Sys(Sc.Close, root);
        if (devNull >= 0) Sys(Sc.Close, devNull);
        if (proc >= 0) Sys(Sc.Close, proc);
        root = devNull = proc = -1;
    }
    /// <summary>
    /// /proc of the mount namespace the child is in, verified to be procfs. Opened first thing, it
    /// is the host's: writes meant for /proc go through it, so a mount namespace joined later (whose
    /// /proc, /proc/sys or /proc/self/... its owner may have covered with a volume) cannot redirect
    /// them (CVE-2025-52881). Opened after pivot_root, it is the container's (LSM labels).
    /// </summary>
    private static long OpenProcfs(byte* statfs)
    {
        long fd = Sys(Sc.Openat, AT_FDCWD, (long)ProcLiteral, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || IsProcfs(fd, statfs)) return fd;
        Sys(Sc.Close, fd);
        return -Skiff.Linux.Errno.ENXIO;
    }
    /// <summary>openat2 beneath a procfs handle with no mount crossed (a bind mount on the way gives EXDEV) and no magic link followed.</summary>
    private static long OpenBeneathProc(long proc, byte* relative, long flags)
    {
        ulong* how = stackalloc ulong[3];
        how[0] = (ulong)flags;
        how[1] = 0;
        how[2] = (ulong)(RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS);
        return Sys(Sc.Openat2, proc, (long)relative, (long)how, 24);
    }
    /// <summary>Static byte literals the child needs; UTF-8 literals live in the image's read-only data.</summary>
    private static class Literal
    {
        public static byte* Dot => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference("."u8));
        public static byte* Slash => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference("/"u8));
        public static byte* Empty => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(""u8));
        public static byte* Tmpfs => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference("tmpfs"u8));
        public static byte* Ptmx => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference("dev/ptmx"u8));
        public static byte* Console => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference("dev/console"u8));
    }
    /// <summary>
    /// Every handler and ignore the runtime installed (the .NET runtime ignores SIGPIPE) back to the
    /// default, so the container's process starts as a freshly exec'd one would.
    /// </summary>
    private static void ResetSignals()
    {
        ulong* action = stackalloc ulong[4];
        action[0] = action[1] = action[2] = action[3] = 0;
        for (int sig = 1; sig <= Skiff.Linux.Signal.Max; sig++)
        {
            if (sig == Skiff.Linux.Signal.SIGKILL || sig == Skiff.Linux.Signal.SIGSTOP) continue;
            Sys(Sc.RtSigaction, sig, (long)action, 0, 8);
        }
    }
    private static void Send(int fd, SyncKind kind, int step, int errno, int value)
    {
        SyncMessage m;
        m.Kind = kind;
        m.Step = step;
        m.Errno = errno;
        m.Value = value;
        Sys(Sc.Sendto, fd, (long)&m, sizeof(SyncMessage), MSG_NOSIGNAL, 0, 0);
    }
    private static void Fail(int syncFd, int step, int errno, int value)
    {
        Send(syncFd, SyncKind.Failed, step, errno, value);
        Sys(Sc.ExitGroup, errno == Skiff.Linux.Errno.ENOENT ? 127 : errno == Skiff.Linux.Errno.EACCES ? 126 : 1);
    }
    private static long WaitGo(int fd)
    {
        SyncMessage m;
        long n;
        do n = Sys(Sc.Read, fd, (long)&m, sizeof(SyncMessage));
        while (n == -Skiff.Linux.Errno.EINTR);
        if (n != sizeof(SyncMessage) || m.Kind != SyncKind.Go) Sys(Sc.ExitGroup, 1);
        return 0;
    }
    private static long ReadByte(int fd)
    {
        byte b;
        long n;
        do n = Sys(Sc.Read, fd, (long)&b, 1);
        while (n == -Skiff.Linux.Errno.EINTR);
        return n < 0 ? n : 0;
    }
    /// <summary>
    /// Writes a file; a "/proc/..." path is resolved beneath the verified host procfs handle without
    /// crossing into any other mount (a bind or tmpfs over part of it), while the handle is open.
    /// </summary>
    private static long WriteFile(int proc, WriteFileArgs w)
    {
        byte* file = w.Path;
        long fd;
        ReadOnlySpan<byte> prefix = "/proc/"u8;
        int matched = 0;
        while (matched < prefix.Length && file[matched] == prefix[matched]) matched++;
        if (proc >= 0 && matched == prefix.Length) fd = OpenBeneathProc(proc, file + prefix.Length, O_WRONLY | O_CLOEXEC);
        else fd = Sys(Sc.Openat, AT_FDCWD, (long)file, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return fd;
        long r = Sys(Sc.Write, fd, (long)w.Content, w.Length);
        Sys(Sc.Close, fd);
        return r < 0 ? r : 0;
    }

    /// <summary>Closes every fd from the first one up but the kept ones (sorted): the runtime's own, a held lock, the caller's extras.</summary>
    private static long CloseInherited(CloseInheritedArgs c)
    {
        int* keep = c.Kept;
        long from = c.From, r = 0;
        for (int k = 0; k < c.KeptCount && r >= 0; k++)
        {
            if (keep[k] > from) r = Sys(Sc.CloseRange, from, keep[k] - 1, 0);
            if (keep[k] >= from) from = keep[k] + 1;
        }
        return r < 0 ? r : Sys(Sc.CloseRange, from, uint.MaxValue, 0);
    }
}
