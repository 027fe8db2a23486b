namespace Skiff.Seccomp;

/// <summary>The <c>SECCOMP_FILTER_FLAG_*</c> bits of linux/seccomp.h that a compiled program may carry.</summary>
public static class SeccompFilterFlags
{
    public const uint Log = 1u << 1;
    public const uint SpecAllow = 1u << 2;
    public const uint NewListener = 1u << 3;
    public const uint WaitKillableRecv = 1u << 5;

    /// <summary>The spec's <c>flags</c> as bits. No list at all means SPEC_ALLOW, as runc chooses.</summary>
    internal static uint Parse(List<string>? names, bool usesNotify)
    {
        uint bits = 0;
        if (names is null)
            bits = SpecAllow;
        else
            foreach (string name in names)
                bits |= name switch
                {
                    "SECCOMP_FILTER_FLAG_LOG" => Log,
                    "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => SpecAllow,
                    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => WaitKillableRecv,
                    // The filter is loaded by the container's single thread just before execve: there are
                    // no other threads to synchronise, so runc accepts TSYNC and sets nothing; so do we.
                    "SECCOMP_FILTER_FLAG_TSYNC" => 0u,
                    _ => throw new SeccompException($"linux.seccomp.flags: unknown flag \"{name}\""),
                };
        if ((bits & WaitKillableRecv) != 0 && !usesNotify)
            throw new SeccompException("linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY rule (the kernel refuses it without a listener)");
        if (usesNotify)
            bits |= NewListener;
        return bits;
    }
}
