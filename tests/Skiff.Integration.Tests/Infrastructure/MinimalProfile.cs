using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// A default-deny seccomp profile allowing only what busybox's `sh -c 'echo ...'` calls (strace of
/// it in the busybox rootfs): nothing a runtime could still want after loading the filter (no
/// close_range, rt_sigprocmask, setresuid, setgroups, fcntl, chdir, capset), so a runtime step
/// placed after the filter fails the container.
/// </summary>
public static class MinimalProfile
{
    public static readonly string[] Allowed =
    [
        "execve", "arch_prctl", "brk", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "mmap", "mprotect", "munmap",
        "getrandom", "getuid", "geteuid", "getpid", "getppid", "getcwd", "uname", "readlink", "rt_sigaction", "rt_sigreturn",
        "newfstatat", "fstat", "openat", "read", "pread64", "write", "close", "futex", "exit", "exit_group",
    ];

    public static Seccomp Create(params string[] extra) => new()
    {
        DefaultAction = "SCMP_ACT_ERRNO",
        Architectures = ["SCMP_ARCH_X86_64"],
        Syscalls = [new SeccompSyscall { Names = [.. Allowed, .. extra], Action = "SCMP_ACT_ALLOW" }],
    };
}
