using Skiff.Runc.Logging;
using Skiff.Runtime;

namespace Skiff.Runc.CommandLine;

/// <summary>What a command runs with: the global settings, the log, stdout, and the runtime.</summary>
internal sealed class RuncSession(GlobalSettings globals, RuncLog log, TextWriter stdout)
{
    private ContainerRuntime? _runtime;

    public GlobalSettings Globals => globals;

    public bool SealBinary { get; init; }

    public RuncLog Log => log;

    public TextWriter Out => stdout;

    /// <summary>Made on first use: `spec`, `features` and `--version` never touch container state.</summary>
    public ContainerRuntime Runtime => _runtime ??= new ContainerRuntime(globals.ToRuntimeOptions() with { SealBinary = SealBinary }) { Warn = log.Warning, Debug = log.Debug };
}
