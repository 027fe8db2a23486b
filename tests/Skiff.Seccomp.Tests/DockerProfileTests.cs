using DockerSeccomp;

namespace Skiff.Seccomp.Tests;

/// <summary>Docker's default profile (moby's profiles/seccomp/default.json, as dockerd turns it into an
/// OCI section for an x86-64 host with Docker's default capabilities) compiles and decides as Docker means.</summary>
public class DockerProfileTests
{
    const ulong CloneNewns = 0x00020000, CloneNewuser = 0x10000000, Sigchld = 17, CloneVmFsFiles = 0x100 | 0x200 | 0x400;
    const uint Eperm = 1, Enosys = 38;

    static readonly SeccompProgram Program = Profiles.Compile(DockerProfile.LoadDefault());

    [Fact]
    public void Compiles_within_the_kernel_limit_and_skips_only_other_machines_calls()
    {
        Assert.InRange(Program.InstructionCount, 100, 4096);
        Assert.Equal(SeccompFilterFlags.SpecAllow, Program.Flags);
        Assert.False(Program.UsesNotify);
        Assert.All(Program.SkippedSyscalls, name => Assert.Matches("^(arm_|riscv_|s390_|sync_file_range2|swapcontext|breakpoint|cacheflush|set_tls)", name));
    }

    public static TheoryData<string, SeccompData, uint> Decisions() => new()
    {
        { "read", SeccompData.X64(0), Ret.Allow },
        { "write", SeccompData.X64(1), Ret.Allow },
        { "execve", SeccompData.X64(59), Ret.Allow },
        { "ptrace (kernel >= 4.8)", SeccompData.X64(101), Ret.Allow },
        { "mount", SeccompData.X64(165), Ret.Errno(Eperm) },
        { "kexec_load", SeccompData.X64(246), Ret.Errno(Eperm) },
        { "unshare", SeccompData.X64(272), Ret.Errno(Eperm) },
        { "setns", SeccompData.X64(308), Ret.Errno(Eperm) },
        { "reboot (no CAP_SYS_BOOT)", SeccompData.X64(169), Ret.Errno(Eperm) },
        { "chroot (CAP_SYS_CHROOT)", SeccompData.X64(161), Ret.Allow },
        { "bpf", SeccompData.X64(321), Ret.Errno(Eperm) },
        { "open_by_handle_at", SeccompData.X64(304), Ret.Errno(Eperm) },
        { "personality(0)", SeccompData.X64(135, 0), Ret.Allow },
        { "personality(PER_LINUX32)", SeccompData.X64(135, 8), Ret.Allow },
        { "personality(query)", SeccompData.X64(135, 0xffffffff), Ret.Allow },
        { "personality(READ_IMPLIES_EXEC)", SeccompData.X64(135, 0x0400000), Ret.Errno(Eperm) },
        { "clone(fork)", SeccompData.X64(56, Sigchld), Ret.Allow },
        { "clone(thread)", SeccompData.X64(56, CloneVmFsFiles | 0x800 | 0x10000), Ret.Allow },
        { "clone(CLONE_NEWNS)", SeccompData.X64(56, Sigchld | CloneNewns), Ret.Errno(Eperm) },
        { "clone(CLONE_NEWUSER)", SeccompData.X64(56, Sigchld | CloneNewuser), Ret.Errno(Eperm) },
        { "clone3", SeccompData.X64(435), Ret.Errno(Enosys) },
        { "socket(AF_INET)", SeccompData.X64(41, 2, 1), Ret.Allow },
        { "socket(AF_ALG)", SeccompData.X64(41, 38), Ret.Errno(Eperm) },
        { "socket(AF_NFC)", SeccompData.X64(41, 39), Ret.Allow },
        { "socket(AF_VSOCK)", SeccompData.X64(41, 40), Ret.Errno(Eperm) },
        { "socket(AF_XDP)", SeccompData.X64(41, 44), Ret.Allow },
        { "io_uring_setup", SeccompData.X64(425), Ret.Errno(Eperm) },
        { "a call newer than the profile", SeccompData.X64(1000), Ret.Errno(Enosys) },
        { "x32 read", SeccompData.X32(0), Ret.Allow },
        { "x32 mount", SeccompData.X32(165), Ret.Errno(Eperm) },
        { "i386 read", SeccompData.Ia32(3), Ret.Allow },
        { "i386 mount", SeccompData.Ia32(21), Ret.Errno(Eperm) },
        { "i386 unshare", SeccompData.Ia32(310), Ret.Errno(Eperm) },
        { "i386 socketcall", SeccompData.Ia32(102, 1), Ret.Allow },
        { "i386 clone(CLONE_NEWNS)", SeccompData.Ia32(120, Sigchld | CloneNewns), Ret.Errno(Eperm) },
        { "aarch64", new SeccompData(63, 0xc00000b7), Ret.KillThread },
    };

    [Theory]
    [MemberData(nameof(Decisions))]
    public void Decides_as_the_profile_says(string call, SeccompData data, uint expected)
    {
        Assert.True(expected == Program.Run(data), $"{call}: expected {expected:x8}, got {Program.Run(data):x8}");
    }

    [Fact]
    public void With_CAP_SYS_ADMIN_namespaces_and_mount_are_allowed()
    {
        var admin = Profiles.Compile(DockerProfile.LoadDefault([.. DockerProfile.DefaultCapabilities, "CAP_SYS_ADMIN"]));
        Assert.Equal(Ret.Allow, admin.Run(SeccompData.X64(165)));
        Assert.Equal(Ret.Allow, admin.Run(SeccompData.X64(56, Sigchld | CloneNewuser)));
        Assert.Equal(Ret.Allow, admin.Run(SeccompData.X64(435)));
    }

    [Fact]
    public void Before_kernel_4_8_ptrace_is_refused()
    {
        var old = Profiles.Compile(DockerProfile.LoadDefault(kernel: new Version(4, 4)));
        Assert.Equal(Ret.Errno(Eperm), old.Run(SeccompData.X64(101)));
    }
}
