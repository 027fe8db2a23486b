using Skiff.Runtime;

namespace Skiff.Runc.CommandLine;

internal enum LogFormat { Text, Json }

/// <summary>runc's global flags, given before the verb, as every verb sees them.</summary>
internal sealed record GlobalSettings(
    string Root,
    string? LogPath = null,
    LogFormat LogFormat = LogFormat.Text,
    bool Debug = false,
    bool SystemdCgroup = false,
    string? Rootless = null,
    string? Criu = null)
{
    public static GlobalSettings Default { get; } = new(RuntimeOptions.DefaultRoot);

    public RuntimeOptions ToRuntimeOptions() => new(Root, SystemdCgroup, Debug);
}
