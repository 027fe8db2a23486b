using Skiff.Seccomp.Bpf;

namespace Skiff.Seccomp;

/// <summary>
/// Compiles the OCI <c>linux.seccomp</c> section into the classic BPF program an x86-64 kernel runs on
/// every system call, deciding what runc (through libseccomp and its ENOSYS patch) decides: the
/// architecture first, unknown ones killed; then the call number, searched over segments of equal
/// outcome; then argument checks, 64-bit on x86-64 and x32, 32-bit on i386.
/// </summary>
public static class SeccompCompiler
{
    /// <summary>The spec's way of asking for no filter at all: no default action and no rules (runc loads nothing).</summary>
    public static bool IsEmpty(Oci.Runtime.Seccomp spec) =>
        string.IsNullOrEmpty(spec.DefaultAction) && (spec.Syscalls is null || spec.Syscalls.Count == 0);

    /// <exception cref="SeccompException">A field the kernel or runc would refuse, named in the message.</exception>
    public static SeccompProgram Compile(Oci.Runtime.Seccomp spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        SeccompAction defaultAction = SeccompAction.Parse(spec.DefaultAction, spec.DefaultErrnoRet, "linux.seccomp.defaultAction");
        if (defaultAction.IsNotify)
            // The container's own execve would wait on a listener that only learns of it afterwards.
            throw new SeccompException("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

        IReadOnlyList<SyscallAbi> abis = SyscallAbi.Select(spec.Architectures);
        RuleSet rules = RuleSet.Build(spec.Syscalls, defaultAction, abis);
        if (rules.UsesNotify && string.IsNullOrEmpty(spec.ListenerPath))
            throw new SeccompException("linux.seccomp.listenerPath: SCMP_ACT_NOTIFY rules need a listener socket to send the notify fd to");
        uint flags = SeccompFilterFlags.Parse(spec.Flags, rules.UsesNotify);

        List<BpfInstruction> program = FilterEmitter.Emit(rules);
        if (program.Count > BpfInstruction.MaxProgramLength)
            throw new SeccompException($"linux.seccomp: the filter takes {program.Count} instructions, more than the kernel's limit of {BpfInstruction.MaxProgramLength}");
        return new SeccompProgram(BpfInstruction.Encode(program), flags, rules.UsesNotify, rules.Skipped.ToArray());
    }
}
