namespace Skiff.Seccomp;

/// <summary>A filter verdict: the <c>SECCOMP_RET_*</c> value a BPF <c>ret</c> hands the kernel.</summary>
internal readonly record struct SeccompAction(uint Value)
{
    public const uint KillProcess = 0x80000000;
    public const uint KillThread = 0x00000000;
    public const uint Trap = 0x00030000;
    public const uint Errno = 0x00050000;
    public const uint UserNotif = 0x7fc00000;
    public const uint Trace = 0x7ff00000;
    public const uint Log = 0x7ffc0000;
    public const uint Allow = 0x7fff0000;
    public const uint ActionMask = 0xffff0000;
    public const uint DataMask = 0x0000ffff;

    const uint Eperm = 1;
    const uint Enosys = 38;

    /// <summary>What libseccomp does with a call from an architecture the filter was not built for.</summary>
    public static readonly SeccompAction BadArch = new(KillThread);

    /// <summary>runc's answer to a system call newer than every one the profile names.</summary>
    public static readonly SeccompAction NoSuchSyscall = new(Errno | Enosys);

    public bool IsNotify => (Value & ActionMask) == UserNotif;

    /// <summary>Allow-like defaults get no ENOSYS answer for unknown calls: a tracer or a log wants to see them.</summary>
    public bool LetsCallsThrough => (Value & ActionMask) is Allow or Log or Trace;

    public static SeccompAction Parse(string name, uint? errnoRet, string field)
    {
        // ERRNO and TRACE carry 16 bits of data; runc defaults both to EPERM and ignores errnoRet elsewhere.
        uint Data()
        {
            uint value = errnoRet ?? Eperm;
            if (value > DataMask)
                throw new SeccompException($"{field}: errno {value} does not fit the 16 bits a seccomp verdict carries");
            return value;
        }

        return new(name switch
        {
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => KillThread,
            "SCMP_ACT_KILL_PROCESS" => KillProcess,
            "SCMP_ACT_TRAP" => Trap,
            "SCMP_ACT_ERRNO" => Errno | Data(),
            "SCMP_ACT_TRACE" => Trace | Data(),
            "SCMP_ACT_ALLOW" => Allow,
            "SCMP_ACT_LOG" => Log,
            "SCMP_ACT_NOTIFY" => UserNotif,
            "" => throw new SeccompException($"{field}: no action given"),
            _ => throw new SeccompException($"{field}: unknown action \"{name}\""),
        });
    }

    /// <summary>A verdict as people write it: <c>ERRNO(1)</c>, <c>ALLOW</c>.</summary>
    public static string Describe(uint value) => (value & ActionMask) switch
    {
        KillProcess => "KILL_PROCESS",
        KillThread => "KILL_THREAD",
        Trap => $"TRAP({value & DataMask})",
        Errno => $"ERRNO({value & DataMask})",
        UserNotif => "USER_NOTIF",
        Trace => $"TRACE({value & DataMask})",
        Log => "LOG",
        Allow => "ALLOW",
        _ => $"0x{value:x8}",
    };
}
