using System.CommandLine;
using Skiff.Runtime;

namespace Skiff.Runc.CommandLine;

/// <summary>The flags that go before the verb, with runc's names and meanings.</summary>
internal sealed class GlobalFlags
{
    private readonly Option<string> _root = new("--root")
    {
        Description = $"root directory for storage of container state (this should be located in tmpfs) (default: \"{RuntimeOptions.DefaultRoot}\")",
    };

    private readonly Option<string> _log = new("--log")
    {
        Description = "set the log file to write skiff-runc logs to (default is '/dev/stderr')",
    };

    private readonly Option<string> _logFormat = new("--log-format")
    {
        Description = "set the log format ('text' (default), or 'json')",
    };

    private readonly Option<bool> _debug = new("--debug") { Description = "enable debug logging" };

    private readonly Option<bool> _systemdCgroup = new("--systemd-cgroup")
    {
        Description = "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\"",
    };

    // Clients pass these two to any runc-compatible runtime; skiff has no use for them yet.
    private readonly Option<string> _rootless = new("--rootless")
    {
        Description = "ignore cgroup permission errors ('true', 'false', or 'auto'); accepted for compatibility",
    };

    private readonly Option<string> _criu = new("--criu")
    {
        Description = "path to the criu binary used for checkpoint and restore; accepted for compatibility",
    };

    public Option<bool> Version { get; } = new("--version", "-v") { Description = "print the version" };

    public void AddTo(Command root)
    {
        foreach (Option option in new Option[] { _debug, _log, _logFormat, _root, _criu, _systemdCgroup, _rootless, Version })
            root.Options.Add(option);
    }

    public GlobalSettings Bind(ParseResult result)
    {
        LogFormat format = result.GetValue(_logFormat) switch
        {
            null or "text" => LogFormat.Text,
            "json" => LogFormat.Json,
            string other => throw new CliException($"invalid log-format: {other}"),
        };
        string root = result.GetValue(_root) ?? RuntimeOptions.DefaultRoot;
        return new GlobalSettings(
            Root: Path.GetFullPath(root),
            LogPath: result.GetValue(_log),
            LogFormat: format,
            Debug: result.GetValue(_debug),
            SystemdCgroup: result.GetValue(_systemdCgroup),
            Rootless: result.GetValue(_rootless),
            Criu: result.GetValue(_criu));
    }
}
