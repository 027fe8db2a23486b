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
                {
                    int* keep = (int*)s->S1;
                    long from = s->A;
                    for (int k = 0; k < s->B && r >= 0; k++)
                    {
                        if (keep[k] > from) r = Sys(Sc.CloseRange, from, keep[k] - 1, 0);
                        if (keep[k] >= from) from = keep[k] + 1;
                    }
                    if (r >= 0) r = Sys(Sc.CloseRange, from, uint.MaxValue, 0);
                    if (r >= 0) r = proc = (int)OpenProcfs(stat);
                    break;
                }
                case StepKind.WaitParent:
                    r = WaitGo(s->Fd);
                    break;
                case StepKind.Notify:
                    Send(s->Fd, (SyncKind)s->A, i, 0, 0);
                    break;
                case StepKind.SetNs:
                    r = Sys(Sc.Setns, s->Fd, s->A);
                    break;
                case StepKind.Unshare:
                    r = Sys(Sc.Unshare, s->A);
                    break;
                case StepKind.Fork:
                    r = ForkReportingPid(s->Fd, i, (int*)stat);
                    break;
                case StepKind.BecomeRoot:
                    r = Sys(Sc.Setresgid, 0, 0, 0);
                    if (r >= 0) r = Sys(Sc.Setresuid, 0, 0, 0);
                    break;
                case StepKind.WriteFile:
                    r = WriteFile(proc, s->S1, s->S2, s->A);
                    break;
                case StepKind.MountHost:
                    r = Sys(Sc.Mount, (long)s->S1, (long)s->S2, (long)s->S3, s->A, (long)s->S4);
                    break;
                case StepKind.OpenRoot:
                    if (root >= 0) Sys(Sc.Close, root);
                    r = root = (int)Sys(Sc.Openat, AT_FDCWD, (long)s->S1, O_PATH | O_DIRECTORY | O_CLOEXEC);
                    break;
                case StepKind.MountInRoot:
                    r = MountInRoot(root, s, path, fdPath, stat, syncFd, i);
                    break;
                case StepKind.Mknod:
                    r = Mknod(root, s, path);
                    break;
                case StepKind.BindDevice:
                    r = ResolveInRoot(root, s->S1, 2, path);
                    if (r >= 0)
                    {
                        int target = (int)r;
                        FdPath(fdPath, target);
                        r = Sys(Sc.Mount, (long)s->S2, (long)fdPath, 0, MS_BIND, 0);
                        Sys(Sc.Close, target);
                    }
                    break;
                case StepKind.Symlink:
                    r = Symlink(root, s, path);
                    break;
                case StepKind.MaskPath:
                    if (devNull < 0) r = devNull = (int)OpenDevNull(stat);
                    if (r >= 0) r = MaskPath(root, s, devNull, fdPath, fdPath2, stat);
                    break;
                case StepKind.ReadonlyPath:
                    r = ReadonlyPath(root, s->S1, fdPath, stat);
                    break;
                case StepKind.EnsureDirectory:
                    r = ResolveInRoot(root, s->S1, 1, path);
                    if (r >= 0) { Sys(Sc.Close, r); r = 0; }
                    break;
                case StepKind.RemountInRoot:
                    r = OpenInRoot(root, s->S1, O_PATH);
                    if (r >= 0)
                    {
                        int target = (int)r;
                        FdPath(fdPath, target);
                        r = Sys(Sc.Mount, 0, (long)fdPath, 0, s->A, 0);
                        Sys(Sc.Close, target);
                    }
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
                    r = Sys(Sc.Fchdir, root);
                    if (r >= 0) r = Sys(Sc.Mount, (long)Literal.Dot, (long)Literal.Slash, 0, MS_MOVE, 0);
                    if (r >= 0) r = Sys(Sc.Chroot, (long)Literal.Dot);
                    if (r >= 0) r = Sys(Sc.Chdir, (long)Literal.Slash);
                    CloseRootHandles(ref root, ref devNull, ref proc);
                    break;
                case StepKind.SetHostname:
                    r = Sys(Sc.Sethostname, (long)s->S1, s->A);
                    break;
                case StepKind.SetDomainname:
                    r = Sys(Sc.Setdomainname, (long)s->S1, s->A);
                    break;
                case StepKind.Rlimit:
                {
                    ulong* limit = stackalloc ulong[2];
                    limit[0] = (ulong)s->B;
                    limit[1] = (ulong)s->C;
                    r = Sys(Sc.Prlimit64, 0, s->A, (long)limit, 0);
                    break;
                }
                case StepKind.Personality:
                    r = Sys(Sc.Personality, s->A);
                    break;
                case StepKind.Console:
                    r = Console(root, s, path, fdPath, fdPath2, stat);
                    break;
                case StepKind.Setsid:
                    r = Sys(Sc.Setsid);
                    if (r == -Skiff.Linux.Errno.EPERM) r = 0;
                    break;
                case StepKind.SessionKeyring:
                    r = Sys(Sc.Keyctl, KEYCTL_JOIN_SESSION_KEYRING, (long)s->S1);
                    if (r >= 0 && s->A != 0) r = Sys(Sc.Keyctl, KEYCTL_SETPERM, r, s->A);
                    // Keyrings are best effort, as in runc: a kernel without them runs the container anyway.
                    if (r == -Skiff.Linux.Errno.ENOSYS) r = 0;
                    break;
                case StepKind.DropBounding:
                    for (int cap = 0; cap <= s->B && r >= 0; cap++)
                    {
                        if ((s->A & (1L << cap)) != 0) continue;
                        r = Sys(Sc.Prctl, PR_CAPBSET_DROP, cap);
                        if (r == -Skiff.Linux.Errno.EINVAL) r = 0;
                    }
                    break;
                case StepKind.KeepCaps:
                    r = Sys(Sc.Prctl, PR_SET_KEEPCAPS, s->A);
                    break;
                case StepKind.SetGroups:
                    r = Sys(Sc.Setgroups, s->A, (long)s->S1);
                    break;
                case StepKind.SetIds:
                    r = Sys(Sc.Setresgid, s->B, s->B, s->B);
                    if (r >= 0) r = Sys(Sc.Setresuid, s->A, s->A, s->A);
                    break;
                case StepKind.CapSet:
                    r = CapSet(s->A, s->B, s->C);
                    break;
                case StepKind.Ambient:
                    r = Sys(Sc.Prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
                    // As in runc, an ambient capability that is not also inheritable and permitted is skipped.
                    for (int cap = 0; cap < 64 && r >= 0; cap++)
                        if ((s->A & (1L << cap)) != 0 && Sys(Sc.Prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) is var raised && raised != -Skiff.Linux.Errno.EPERM)
                            r = raised;
                    break;
                case StepKind.NoNewPrivileges:
                    r = Sys(Sc.Prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                    break;
                case StepKind.Umask:
                    Sys(Sc.Umask, s->A);
                    break;
                case StepKind.Chdir:
                    // An exec never pivots: the host /proc handle must be gone before a cwd such as
                    // /proc/self/fd/N could name it (CVE-2024-21626).
                    if (proc >= 0) { Sys(Sc.Close, proc); proc = -1; }
                    r = Sys(Sc.Chdir, (long)s->S1);
                    break;
                case StepKind.CloseFrom:
                    r = Sys(Sc.CloseRange, s->A, uint.MaxValue, CLOSE_RANGE_CLOEXEC);
                    break;
                case StepKind.ResolveExecutable:
                    executable = ResolveExecutable(s->V1, stat, &r);
                    break;
                case StepKind.WaitStart:
                    // A created container can be exec'd into: while its init waits here it is still
                    // the runtime, holding the exec fifo and the sync socket (CVE-2016-9962).
                    Sys(Sc.Prctl, PR_SET_DUMPABLE, 0);
                    r = s->A == 1 ? ReadByte(s->Fd) : WaitGo(s->Fd);
                    break;
                case StepKind.RunHook:
                    r = RunHook(s, syncFd, i);
                    break;
                case StepKind.Seccomp:
                {
                    // struct sock_fprog: a u16 length, then the filter pointer (8-byte aligned).
                    ulong* program = stackalloc ulong[2];
                    program[0] = (ulong)s->A;
                    program[1] = (ulong)s->S1;
                    r = Sys(Sc.Seccomp, SECCOMP_SET_MODE_FILTER, s->B, (long)program);
                    break;
                }
                case StepKind.SeccompNotify:
                    r = SeccompNotify(s, i);
                    break;
                case StepKind.IoPriority:
                    r = IoPriority(s);
                    break;
                case StepKind.Scheduler:
                    r = Scheduler(s);
                    break;
                case StepKind.Affinity:
                    r = Affinity(s);
                    break;
                case StepKind.ExecLabel:
                    r = ExecLabel(s, stat);
                    break;
                case StepKind.UnblockSignals:
                {
                    ulong none = 0;
                    r = Sys(Sc.RtSigprocmask, SIG_SETMASK, (long)&none, 0, 8);
                    break;
                }
                case StepKind.Exec:
                    r = Sys(Sc.Execve, (long)executable, (long)s->V1, (long)s->V2);
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
    private static long WriteFile(int proc, byte* file, byte* data, long length)
    {
        long fd;
        ReadOnlySpan<byte> prefix = "/proc/"u8;
        int matched = 0;
        while (matched < prefix.Length && file[matched] == prefix[matched]) matched++;
        if (proc >= 0 && matched == prefix.Length) fd = OpenBeneathProc(proc, file + prefix.Length, O_WRONLY | O_CLOEXEC);
        else fd = Sys(Sc.Openat, AT_FDCWD, (long)file, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return fd;
        long r = Sys(Sc.Write, fd, (long)data, length);
        Sys(Sc.Close, fd);
        return r < 0 ? r : 0;
    }

    /// <summary>Writes "/proc/self/fd/N": the magic link through which a mount lands on an fd.</summary>
    private static void FdPath(byte* buffer, int fd)
    {
        ReadOnlySpan<byte> prefix = "/proc/self/fd/"u8;
        int n = 0;
        for (; n < prefix.Length; n++) buffer[n] = prefix[n];
        byte* digits = stackalloc byte[12];
        int count = 0;
        do { digits[count++] = (byte)('0' + fd % 10); fd /= 10; } while (fd > 0);
        while (count > 0) buffer[n++] = digits[--count];
        buffer[n] = 0;
    }

    private static long OpenInRoot(int root, byte* relative, long flags, long resolve = 0)
    {
        ulong* how = stackalloc ulong[3];
        how[0] = (ulong)(flags | O_CLOEXEC);
        how[1] = 0;
        how[2] = (ulong)(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve);
        return Sys(Sc.Openat2, root, (long)relative, (long)how, 24);
    }

    /// <summary>
    /// Opens a path inside the root without ever leaving it (RESOLVE_IN_ROOT: "..", absolute
    /// symlinks and the like are resolved as if root were "/"), creating missing directories and,
    /// with create == 2, the last component as an empty file (CVE-2021-30465, CVE-2024-45310).
    /// </summary>
    private static long ResolveInRoot(int root, byte* relative, int create, byte* buffer, long resolve = 0)
    {
        long fd = OpenInRoot(root, relative, O_PATH, resolve);
        if (fd != -Skiff.Linux.Errno.ENOENT || create == 0) return fd;

        int length = 0;
        while (relative[length] != 0 && length < PathMax - 1) { buffer[length] = relative[length]; length++; }
        if (relative[length] != 0) return -Skiff.Linux.Errno.ENAMETOOLONG;
        buffer[length] = 0;
        long parent = Sys(Sc.Fcntl, root, F_DUPFD_CLOEXEC, 0);
        if (parent < 0) return parent;
        int start = 0;
        while (start < length)
        {
            while (start < length && buffer[start] == '/') start++;
            if (start >= length) break;
            int end = start;
            while (end < length && buffer[end] != '/') end++;
            bool last = end == length;
            buffer[end] = 0;
            byte* name = buffer + start;
            long r;
            if (last && create == 2)
            {
                r = Sys(Sc.Openat, parent, (long)name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0x1A4 /* 0644 */);
                if (r >= 0) Sys(Sc.Close, r);
                else if (r == -Skiff.Linux.Errno.EEXIST || r == -Skiff.Linux.Errno.ELOOP) r = 0;
            }
            else
            {
                r = Sys(Sc.Mkdirat, parent, (long)name, 0x1ED /* 0755 */);
                if (r == -Skiff.Linux.Errno.EEXIST) r = 0;
            }
            if (r < 0) { Sys(Sc.Close, parent); return r; }
            // Re-resolve the prefix through the root so a symlink in the image cannot lead outside.
            long next = OpenInRoot(root, buffer, last ? O_PATH : O_PATH | O_DIRECTORY, resolve);
            if (!last) buffer[end] = (byte)'/';
            Sys(Sc.Close, parent);
            if (next < 0) return next;
            parent = next;
            start = end + 1;
        }
        return parent;
    }

    /// <summary>
    /// Splits "a/b/name": opens the directory "a/b" in root (creating it) and returns where name
    /// starts. buffer holds 2 * PathMax bytes: the directory in the upper half, ResolveInRoot's
    /// scratch copy in the lower.
    /// </summary>
    private static long ResolveParentInRoot(int root, byte* relative, byte* buffer, byte** name)
    {
        int length = 0;
        int slash = -1;
        while (relative[length] != 0 && length < PathMax - 1)
        {
            if (relative[length] == '/') slash = length;
            length++;
        }
        if (relative[length] != 0) return -Skiff.Linux.Errno.ENAMETOOLONG;
        *name = relative + slash + 1;
        if (slash <= 0) return Sys(Sc.Fcntl, root, F_DUPFD_CLOEXEC, 0);
        byte* directory = buffer + PathMax;
        for (int i = 0; i < slash; i++) directory[i] = relative[i];
        directory[slash] = 0;
        return ResolveInRoot(root, directory, 1, buffer);
    }

    /// <summary>MS_NOSUID, MS_NODEV, MS_NOEXEC and atime flags already on a mount: a remount in a user namespace must keep them.</summary>
    private static long LockedFlags(int fd, byte* statfs)
    {
        if (Sys(Sc.Fstatfs, fd, (long)statfs) < 0) return 0;
        long st = *(long*)(statfs + 80);
        long flags = st & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME);
        if ((st & ST_RELATIME) != 0) flags |= MS_RELATIME;
        return flags;
    }

    private static long MountInRoot(int root, RawStep* s, byte* buffer, byte* fdPath, byte* statfs, int syncFd, int step)
    {
        long resolve = (s->B & 0x100) != 0 ? RESOLVE_NO_SYMLINKS : 0;
        long fd = ResolveInRoot(root, s->S2, (int)(s->B & 0xff), buffer, resolve);
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        long r;
        if (s->Fd >= 0)
        {
            // A bind source the parent cloned as host root (open_tree): moved into place, never
            // looked up by a root whose host identity may not reach it.
            r = Sys(Sc.MoveMount, s->Fd, (long)Literal.Empty, fd, (long)Literal.Empty, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
            Sys(Sc.Close, s->Fd);
        }
        else r = Sys(Sc.Mount, (long)s->S1, (long)fdPath, (long)s->S3, s->A, (long)s->S4);
        if (r >= 0 && (s->B & 0x200) != 0)
        {
            // fd still names the directory the mount now hides: the parent copies from it into the mount's root.
            long mounted = OpenInRoot(root, s->S2, O_PATH | O_DIRECTORY, resolve);
            if (mounted < 0) r = mounted;
            else
            {
                Send(syncFd, SyncKind.CopyUp, step, (int)mounted, (int)fd);
                r = WaitGo(syncFd);
                Sys(Sc.Close, mounted);
            }
        }
        Sys(Sc.Close, fd);
        if (r < 0 || (s->C == 0 && s->D == 0 && s->E == 0)) return r;

        // The fd names the directory under the new mount; reopen to reach the mount itself.
        fd = OpenInRoot(root, s->S2, O_PATH, resolve);
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        if (s->C != 0)
        {
            r = Sys(Sc.Mount, 0, (long)fdPath, 0, s->C, 0);
            if (r == -Skiff.Linux.Errno.EPERM)
                r = Sys(Sc.Mount, 0, (long)fdPath, 0, s->C | LockedFlags((int)fd, statfs), 0);
        }
        if (r >= 0 && s->D != 0)
        {
            ulong* attr = stackalloc ulong[4];
            attr[0] = (ulong)s->D;
            attr[1] = (s->D & MOUNT_ATTR__ATIME) != 0 ? (ulong)MOUNT_ATTR__ATIME : 0;
            attr[2] = 0;
            attr[3] = 0;
            r = Sys(Sc.MountSetattr, fd, (long)Literal.Empty, AT_EMPTY_PATH | AT_RECURSIVE, (long)attr, 32);
        }
        if (r >= 0 && s->E != 0) r = Sys(Sc.Mount, 0, (long)fdPath, 0, s->E, 0);
        Sys(Sc.Close, fd);
        return r;
    }

    private static long Mknod(int root, RawStep* s, byte* buffer)
    {
        byte* name;
        long parent = ResolveParentInRoot(root, s->S1, buffer, &name);
        if (parent < 0) return parent;
        Sys(Sc.Unlinkat, parent, (long)name, 0);
        long r = Sys(Sc.Mknodat, parent, (long)name, s->A, s->B);
        if (r >= 0) r = Sys(Sc.Fchownat, parent, (long)name, s->C, s->D, AT_SYMLINK_NOFOLLOW);
        Sys(Sc.Close, parent);
        return r;
    }

    private static long Symlink(int root, RawStep* s, byte* buffer)
    {
        byte* name;
        long parent = ResolveParentInRoot(root, s->S2, buffer, &name);
        if (parent < 0) return parent;
        long r = Sys(Sc.Symlinkat, (long)s->S1, parent, (long)name);
        if (r == -Skiff.Linux.Errno.EEXIST && s->A == 1)
        {
            Sys(Sc.Unlinkat, parent, (long)name, 0);
            r = Sys(Sc.Symlinkat, (long)s->S1, parent, (long)name);
        }
        if (r == -Skiff.Linux.Errno.EEXIST) r = 0;
        Sys(Sc.Close, parent);
        return r;
    }

    /// <summary>
    /// /dev/null as this mount namespace sees it (a bind source must live in the caller's
    /// namespace), verified to be the character device 1:3 before anything is masked with it.
    /// </summary>
    private static long OpenDevNull(byte* stat)
    {
        ReadOnlySpan<byte> path = "/dev/null"u8;
        byte* name = stackalloc byte[16];
        for (int i = 0; i < path.Length; i++) name[i] = path[i];
        name[path.Length] = 0;
        long fd = Sys(Sc.Openat, AT_FDCWD, (long)name, O_PATH | O_CLOEXEC);
        if (fd < 0) return fd;
        if (FileType(fd, stat) != S_IFCHR || *(ulong*)(stat + 40) != ((1UL << 8) | 3))
        {
            Sys(Sc.Close, fd);
            return -Skiff.Linux.Errno.ENXIO;
        }
        return fd;
    }

    private static int FileType(long fd, byte* stat)
    {
        if (Sys(Sc.Newfstatat, fd, (long)Literal.Empty, (long)stat, AT_EMPTY_PATH) < 0) return 0;
        return *(int*)(stat + 24) & S_IFMT;
    }

    /// <summary>Hides a path: a read-only tmpfs over a directory, the host's verified /dev/null over anything else (CVE-2025-31133).</summary>
    private static long MaskPath(int root, RawStep* s, int devNull, byte* fdPath, byte* sourcePath, byte* stat)
    {
        long fd = OpenInRoot(root, s->S1, O_PATH);
        if (fd == -Skiff.Linux.Errno.ENOENT || fd == -Skiff.Linux.Errno.ENOTDIR) return 0;
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        long r;
        if (FileType(fd, stat) == S_IFDIR)
        {
            r = Sys(Sc.Mount, (long)Literal.Tmpfs, (long)fdPath, (long)Literal.Tmpfs, MS_RDONLY, 0);
        }
        else
        {
            FdPath(sourcePath, devNull);
            r = Sys(Sc.Mount, (long)sourcePath, (long)fdPath, 0, MS_BIND, 0);
        }
        Sys(Sc.Close, fd);
        return r;
    }

    private static long ReadonlyPath(int root, byte* relative, byte* fdPath, byte* statfs)
    {
        long fd = OpenInRoot(root, relative, O_PATH);
        if (fd == -Skiff.Linux.Errno.ENOENT || fd == -Skiff.Linux.Errno.ENOTDIR) return 0;
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        long r = Sys(Sc.Mount, (long)fdPath, (long)fdPath, 0, MS_BIND | MS_REC, 0);
        Sys(Sc.Close, fd);
        if (r < 0) return r;
        fd = OpenInRoot(root, relative, O_PATH);
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        r = Sys(Sc.Mount, 0, (long)fdPath, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | LockedFlags((int)fd, statfs), 0);
        Sys(Sc.Close, fd);
        return r;
    }

    private static long PivotRoot(int root)
    {
        long r = Sys(Sc.Fchdir, root);
        if (r >= 0) r = Sys(Sc.PivotRoot, (long)Literal.Dot, (long)Literal.Dot);
        // The old root now sits under the new one; keep its unmount from propagating to the host.
        if (r >= 0) r = Sys(Sc.Mount, 0, (long)Literal.Dot, 0, MS_SLAVE | MS_REC, 0);
        if (r >= 0) r = Sys(Sc.Umount2, (long)Literal.Dot, MNT_DETACH);
        if (r >= 0) r = Sys(Sc.Chdir, (long)Literal.Slash);
        return r;
    }

    /// <summary>
    /// A pty from the container's own devpts: the master goes to the console socket (SCM_RIGHTS,
    /// as runc sends it), the slave becomes stdio, controlling terminal and /dev/console.
    /// </summary>
    private static long Console(int root, RawStep* s, byte* buffer, byte* fdPath, byte* sourcePath, byte* stat)
    {
        long master = OpenInRoot(root, Literal.Ptmx, O_RDWR | O_NOCTTY);
        if (master < 0) return master;
        int unlock = 0;
        long r = Sys(Sc.Ioctl, master, (long)TIOCSPTLCK, (long)&unlock);
        long slave = r < 0 ? r : Sys(Sc.Ioctl, master, (long)TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) { Sys(Sc.Close, master); return slave; }
        if (s->A != 0 || s->B != 0)
        {
            ushort* size = stackalloc ushort[4];
            size[0] = (ushort)s->A;
            size[1] = (ushort)s->B;
            size[2] = 0;
            size[3] = 0;
            Sys(Sc.Ioctl, slave, (long)TIOCSWINSZ, (long)size);
        }

        // /dev/console: only a regular file or character device of our making may receive the bind
        // (CVE-2025-52565). C = 1: an exec's pty, which is its own and never the container's console.
        long console = s->C != 0 ? -1 : ResolveInRoot(root, Literal.Console, 2, buffer);
        if (s->C != 0) r = 0;
        else if (console >= 0)
        {
            int type = FileType(console, stat);
            if (type == S_IFREG || type == S_IFCHR)
            {
                FdPath(fdPath, (int)console);
                FdPath(sourcePath, (int)slave);
                r = Sys(Sc.Mount, (long)sourcePath, (long)fdPath, 0, MS_BIND, 0);
            }
            else r = -Skiff.Linux.Errno.EINVAL;
            Sys(Sc.Close, console);
        }
        else r = console;
        if (r >= 0)
        {
            // The console socket's reader (runc's recvtty, conmon) expects the pty's name beside the fd.
            ReadOnlySpan<byte> name = "/dev/ptmx"u8;
            byte* data = stackalloc byte[16];
            for (int i = 0; i < name.Length; i++) data[i] = name[i];
            r = SendFd(s->Fd, (int)master, data, (nuint)name.Length);
        }
        Sys(Sc.Close, master);
        if (r >= 0)
        {
            Sys(Sc.Setsid);
            r = Sys(Sc.Ioctl, slave, (long)TIOCSCTTY, 0);
        }
        for (int std = 0; std < 3 && r >= 0; std++) r = Sys(Sc.Dup3, slave, std, 0);
        Sys(Sc.Close, slave);
        return r;
    }

    /// <summary>Sends payload with fd attached (SCM_RIGHTS), in one sendmsg.</summary>
    private static long SendFd(int socket, int fd, void* payload, nuint length)
    {
        Skiff.Linux.Interop.IoVec iov;
        iov.Base = payload;
        iov.Length = length;
        // cmsghdr (len 20, SOL_SOCKET, SCM_RIGHTS) + one int, padded to 24 bytes.
        long* control = stackalloc long[3];
        control[0] = 20;
        ((int*)control)[2] = SOL_SOCKET;
        ((int*)control)[3] = SCM_RIGHTS;
        ((int*)control)[4] = fd;
        ((int*)control)[5] = 0;
        Skiff.Linux.Interop.MsgHdr message;
        message.Name = null;
        message.NameLength = 0;
        message.Iov = &iov;
        message.IovLength = 1;
        message.Control = control;
        message.ControlLength = 24;
        message.Flags = 0;
        long r;
        do r = Sys(Sc.Sendmsg, socket, (long)&message, MSG_NOSIGNAL);
        while (r == -Skiff.Linux.Errno.EINTR);
        return r;
    }

    private static long CapSet(long effective, long permitted, long inheritable)
    {
        int* header = stackalloc int[2];
        header[0] = LINUX_CAPABILITY_VERSION_3;
        header[1] = 0;
        uint* data = stackalloc uint[6];
        data[0] = (uint)effective;
        data[1] = (uint)permitted;
        data[2] = (uint)inheritable;
        data[3] = (uint)(effective >> 32);
        data[4] = (uint)(permitted >> 32);
        data[5] = (uint)(inheritable >> 32);
        return Sys(Sc.Capset, (long)header, (long)data);
    }

    /// <summary>The first candidate that is an executable regular file; ENOENT when none exists, EACCES when one exists but cannot run.</summary>
    private static byte* ResolveExecutable(byte** candidates, byte* stat, long* result)
    {
        long error = -Skiff.Linux.Errno.ENOENT;
        for (byte** candidate = candidates; *candidate != null; candidate++)
        {
            if (Sys(Sc.Newfstatat, AT_FDCWD, (long)*candidate, (long)stat, 0) < 0) continue;
            int type = *(int*)(stat + 24) & S_IFMT;
            if (type == S_IFREG && Sys(Sc.Faccessat, AT_FDCWD, (long)*candidate, X_OK, 0) == 0)
            {
                *result = 0;
                return *candidate;
            }
            error = -Skiff.Linux.Errno.EACCES;
        }
        *result = error;
        return null;
    }

    /// <summary>Runs a hook from inside the container's namespaces, state JSON on stdin, bounded by its timeout.</summary>
    private static long RunHook(RawStep* s, int syncFd, int step)
    {
        long pid = Sys(Sc.Clone, Skiff.Linux.Signal.SIGCHLD, 0, 0, 0, 0);
        if (pid < 0) return pid;
        if (pid == 0)
        {
            Sys(Sc.Lseek, s->Fd, 0, 0);
            Sys(Sc.Dup3, s->Fd, 0, 0);
            ulong none = 0;
            Sys(Sc.RtSigprocmask, SIG_SETMASK, (long)&none, 0, 8);
            long e = Sys(Sc.Execve, (long)s->S1, (long)s->V1, (long)s->V2);
            Sys(Sc.ExitGroup, e == -Skiff.Linux.Errno.ENOENT ? 127 : 126);
        }
        if (s->A > 0)
        {
            long pidfd = Sys(Sc.PidfdOpen, pid, 0);
            if (pidfd >= 0)
            {
                Skiff.Linux.Interop.PollFd poll;
                poll.Fd = (int)pidfd;
                poll.Events = POLLIN;
                poll.Revents = 0;
                long ready;
                do ready = Sys(Sc.Poll, (long)&poll, 1, s->A * 1000);
                while (ready == -Skiff.Linux.Errno.EINTR);
                Sys(Sc.Close, pidfd);
                if (ready == 0)
                {
                    Sys(Sc.Kill, pid, Skiff.Linux.Signal.SIGKILL);
                    Sys(Sc.Wait4, pid, 0, 0, 0);
                    return -ETIMEDOUT;
                }
            }
        }
        int status = 0;
        long w;
        do w = Sys(Sc.Wait4, pid, (long)&status, 0, 0);
        while (w == -Skiff.Linux.Errno.EINTR);
        if (w < 0) return w;
        if (status != 0) Fail(syncFd, step, 0, status);
        return 0;
    }
}
