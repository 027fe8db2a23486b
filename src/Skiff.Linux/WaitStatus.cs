namespace Skiff.Linux;

/// <summary>A wait(2) status word, decoded in one place.</summary>
public readonly record struct WaitStatus(int Raw)
{
    public bool Exited => (Raw & 0x7f) == 0;

    /// <summary>The exit status (0 to 255) of a process that exited.</summary>
    public int ExitStatus => (Raw >> 8) & 0xff;

    /// <summary>The signal that killed a process that did not exit.</summary>
    public int TermSignal => Raw & 0x7f;

    /// <summary>The exit status, or 128 + the signal that killed it (as a shell reports it).</summary>
    public int ExitCode => Exited ? ExitStatus : 128 + TermSignal;

    /// <summary>"exit status N" or "killed by signal N".</summary>
    public override string ToString() => Exited ? $"exit status {ExitStatus}" : $"killed by signal {TermSignal}";
}
