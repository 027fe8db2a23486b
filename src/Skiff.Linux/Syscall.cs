namespace Skiff.Linux;

/// <summary>x86_64 system call numbers skiff issues directly (no libc wrapper, or none usable after clone).</summary>
public static class Syscall
{
    public const long Read = 0, Write = 1, Close = 3, Fstat = 5, Poll = 7, Lseek = 8, RtSigaction = 13,
        RtSigprocmask = 14, Ioctl = 16, Dup3 = 292, Pipe2 = 293, Sendmsg = 46, Clone = 56, Execve = 59, Exit = 60,
        Wait4 = 61, Kill = 62, Getppid = 110, Chdir = 80, Fchdir = 81, Umask = 95, Getpid = 39, Setresuid = 117,
        Setresgid = 119, Setgroups = 116, Setsid = 112, Capset = 126, Personality = 135, Chroot = 161,
        Prctl = 157, PivotRoot = 155, Mount = 165, Umount2 = 166, Sethostname = 170, Setdomainname = 171,
        Keyctl = 250, Openat = 257, Mkdirat = 258, Mknodat = 259, Fchownat = 260, Newfstatat = 262,
        Unlinkat = 263, Symlinkat = 266, Readlinkat = 267, Fchmodat = 268, Faccessat = 269, Unshare = 272,
        Fchmod = 91, Prlimit64 = 302, Fcntl = 72, Setns = 308, Seccomp = 317, Execveat = 322, Statx = 332,
        PidfdOpen = 434, Clone3 = 435, CloseRange = 436, Openat2 = 437, PidfdSendSignal = 424,
        OpenTree = 428, MoveMount = 429, Fsopen = 430, Fsconfig = 431, Fsmount = 432,
        MemfdCreate = 319, Sendfile = 40, Sendto = 44, Recvfrom = 45, SchedSetaffinity = 203, IoprioSet = 251, SchedSetattr = 314, MountSetattr = 442, ExitGroup = 231, Statfs = 137, Fstatfs = 138, Getdents64 = 217;
}
