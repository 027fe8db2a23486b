namespace Skiff.Seccomp;

/// <summary>
/// A compiled filter, ready for <c>seccomp(SECCOMP_SET_MODE_FILTER, Flags, &amp;sock_fprog)</c>.
/// </summary>
/// <param name="Filter">The <c>struct sock_filter</c> array in host byte order, 8 bytes per instruction.</param>
/// <param name="Flags">The <c>SECCOMP_FILTER_FLAG_*</c> bits to pass with it. They include
/// <see cref="SeccompFilterFlags.NewListener"/> when <paramref name="UsesNotify"/>, so the call returns the listener fd.</param>
/// <param name="UsesNotify">Some rule answers <c>SCMP_ACT_NOTIFY</c>: the listener fd goes to <c>listenerPath</c>.</param>
/// <param name="SkippedSyscalls">Names no architecture of the filter knows; they were left out, as runc leaves them out.</param>
public sealed record SeccompProgram(byte[] Filter, uint Flags, bool UsesNotify, IReadOnlyList<string> SkippedSyscalls)
{
    public int InstructionCount => Filter.Length / Bpf.BpfInstruction.Size;
}
