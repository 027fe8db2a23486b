namespace Skiff.Seccomp;

/// <summary>
/// One system call ABI of an x86-64 kernel: which <c>seccomp_data.arch</c> it arrives with, which
/// <c>seccomp_data.nr</c> values belong to it, how wide its arguments are and its table of names.
/// </summary>
internal sealed class SyscallAbi
{
    public const uint AuditArchX86_64 = 0xc000003e;
    public const uint AuditArchI386 = 0x40000003;
    public const uint X32SyscallBit = 0x40000000;

    readonly Func<string, long> table;
    readonly Func<string, (uint Syscall, ArgCheck Selector)?> multiplexed;

    SyscallAbi(string name, uint auditArch, bool wideArguments, uint firstNumber, uint lastNumber,
        Func<string, long> table, Func<string, (uint, ArgCheck)?> multiplexed)
    {
        Name = name;
        AuditArch = auditArch;
        WideArguments = wideArguments;
        FirstNumber = firstNumber;
        LastNumber = lastNumber;
        this.table = table;
        this.multiplexed = multiplexed;
    }

    /// <summary>The spec's name for it (<c>SCMP_ARCH_*</c>).</summary>
    public string Name { get; }

    public uint AuditArch { get; }

    /// <summary>Arguments are 64-bit registers (x86-64, x32) rather than 32-bit ones (i386).</summary>
    public bool WideArguments { get; }

    /// <summary>The numbers this ABI owns within its <see cref="AuditArch"/>: x86-64 and x32 share
    /// AUDIT_ARCH_X86_64 and are told apart by the x32 bit.</summary>
    public uint FirstNumber { get; }

    public uint LastNumber { get; }

    public static readonly SyscallAbi X86_64 = new("SCMP_ARCH_X86_64", AuditArchX86_64, true,
        0, X32SyscallBit - 1, SyscallTables.X86_64, static _ => null);

    public static readonly SyscallAbi X32 = new("SCMP_ARCH_X32", AuditArchX86_64, true,
        X32SyscallBit, uint.MaxValue, SyscallTables.X32, static _ => null);

    public static readonly SyscallAbi I386 = new("SCMP_ARCH_X86", AuditArchI386, false,
        0, uint.MaxValue, SyscallTables.I386, I386Multiplexed);

    /// <summary>The number of <paramref name="name"/> in this ABI, or -1.</summary>
    public long Number(string name) => table(name);

    /// <summary>
    /// i386 also reaches the socket and SysV IPC calls through socketcall(2) and ipc(2), the call chosen
    /// by the first argument. A rule on such a call must hold there too, or <c>socketcall(SYS_SOCKET, ...)</c>
    /// would walk past a rule on <c>socket</c>. Only that selector can be checked: the other arguments
    /// travel in memory, where seccomp cannot look.
    /// </summary>
    public (uint Syscall, ArgCheck Selector)? Multiplexed(string name) => multiplexed(name);

    static readonly uint SocketCall = (uint)SyscallTables.I386("socketcall");
    static readonly uint Ipc = (uint)SyscallTables.I386("ipc");

    static (uint, ArgCheck)? I386Multiplexed(string name)
    {
        // linux/net.h SYS_* numbers for socketcall.
        int socketCall = name switch
        {
            "socket" => 1, "bind" => 2, "connect" => 3, "listen" => 4, "accept" => 5,
            "getsockname" => 6, "getpeername" => 7, "socketpair" => 8, "send" => 9, "recv" => 10,
            "sendto" => 11, "recvfrom" => 12, "shutdown" => 13, "setsockopt" => 14, "getsockopt" => 15,
            "sendmsg" => 16, "recvmsg" => 17, "accept4" => 18, "recvmmsg" => 19, "sendmmsg" => 20,
            _ => 0,
        };
        if (socketCall != 0)
            return (SocketCall, new ArgCheck(0, CompareOp.Equal, (ulong)socketCall, 0));

        // linux/ipc.h call numbers for ipc(2). The kernel keeps only the low 16 bits (the high ones are a
        // version), so the selector is compared under that mask: ipc(0x10001, ...) is still semop.
        int ipcCall = name switch
        {
            "semop" => 1, "semget" => 2, "semctl" => 3, "semtimedop" => 4,
            "msgsnd" => 11, "msgrcv" => 12, "msgget" => 13, "msgctl" => 14,
            "shmat" => 21, "shmdt" => 22, "shmget" => 23, "shmctl" => 24,
            _ => 0,
        };
        if (ipcCall != 0)
            return (Ipc, new ArgCheck(0, CompareOp.MaskedEqual, 0xffff, (ulong)ipcCall));
        return null;
    }

    /// <summary>
    /// The ABIs a filter covers. x86-64 is always one of them: libseccomp adds the native architecture to
    /// every filter. Architectures of other machines are accepted and have nothing to cover here, since
    /// no call from them can reach an x86-64 kernel.
    /// </summary>
    public static IReadOnlyList<SyscallAbi> Select(List<string>? architectures)
    {
        bool x32 = false, i386 = false;
        for (int i = 0; i < (architectures?.Count ?? 0); i++)
        {
            string name = architectures![i];
            switch (name)
            {
                case "SCMP_ARCH_X86_64":
                    break;
                case "SCMP_ARCH_X32":
                    x32 = true;
                    break;
                case "SCMP_ARCH_X86":
                    i386 = true;
                    break;
                case "SCMP_ARCH_ARM" or "SCMP_ARCH_AARCH64" or "SCMP_ARCH_MIPS" or "SCMP_ARCH_MIPS64"
                    or "SCMP_ARCH_MIPS64N32" or "SCMP_ARCH_MIPSEL" or "SCMP_ARCH_MIPSEL64" or "SCMP_ARCH_MIPSEL64N32"
                    or "SCMP_ARCH_PPC" or "SCMP_ARCH_PPC64" or "SCMP_ARCH_PPC64LE" or "SCMP_ARCH_RISCV64"
                    or "SCMP_ARCH_S390" or "SCMP_ARCH_S390X" or "SCMP_ARCH_LOONGARCH64":
                    break;
                default:
                    throw new SeccompException($"linux.seccomp.architectures[{i}]: unknown architecture \"{name}\"");
            }
        }
        var abis = new List<SyscallAbi> { X86_64 };
        if (x32)
            abis.Add(X32);
        if (i386)
            abis.Add(I386);
        return abis;
    }
}
