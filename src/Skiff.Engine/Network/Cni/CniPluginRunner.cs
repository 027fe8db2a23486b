using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.Engine.Network.Cni;

/// <summary>The CNI verbs a runtime sends to a plugin.</summary>
internal enum CniCommand { Add, Check, Del }

/// <summary>
/// Who a plugin is run for: the spec's CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_ARGS
/// (key=value pairs, sent as "K1=V1;K2=V2").
/// </summary>
internal sealed record CniRuntime(string ContainerId, string NetnsPath, string IfName, IReadOnlyList<KeyValuePair<string, string>> Args);

/// <summary>A plugin that failed: the message names the plugin and the network and carries the plugin's own words.</summary>
internal sealed class CniPluginException(string plugin, string network, CniCommand command, uint code, string message)
    : EngineException($"CNI plugin \"{plugin}\" failed on {command.ToString().ToUpperInvariant()} for network \"{network}\": {message}")
{
    public string Plugin { get; } = plugin;
    public string Network { get; } = network;
    public uint Code { get; } = code;
}

/// <summary>
/// Finds a plugin by its <c>type</c> in the configured directories and runs it the way the CNI
/// spec says: the configuration on stdin, the parameters in CNI_* environment variables, the
/// result (or the error object) on stdout.
/// </summary>
internal sealed class CniPluginRunner(IReadOnlyList<string> pluginDirectories)
{
    public IReadOnlyList<string> PluginDirectories { get; } = pluginDirectories;

    /// <summary>The executable of plugin <paramref name="type"/>, or a clear error listing where it was looked for.</summary>
    public string Locate(string type, string network)
    {
        // A type is a file name: a path would escape the configured directories.
        if (type.Length == 0 || type.Contains('/') || type is "." or "..")
            throw new EngineException($"network \"{network}\": CNI plugin type \"{type}\" is not a plugin name");
        foreach (string directory in PluginDirectories)
        {
            string candidate = Path.Combine(directory, type);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0) return candidate;
        }
        throw new EngineException($"network \"{network}\": CNI plugin \"{type}\" not found in {string.Join(", ", PluginDirectories)} (engine config cni_plugin_dirs)");
    }

    /// <summary>Runs one plugin; returns its stdout (the result on ADD, usually nothing otherwise).</summary>
    public string Run(CniCommand command, CniRuntime runtime, JsonObject config, string network)
    {
        string type = config["type"]?.GetValue<string>() ?? throw new EngineException($"network \"{network}\": a CNI plugin configuration has no \"type\"");
        string executable = Locate(type, network);
        ProcessStartInfo start = new(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("CNI_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(key);
        start.Environment["CNI_COMMAND"] = command.ToString().ToUpperInvariant();
        start.Environment["CNI_CONTAINERID"] = runtime.ContainerId;
        start.Environment["CNI_NETNS"] = runtime.NetnsPath;
        start.Environment["CNI_IFNAME"] = runtime.IfName;
        start.Environment["CNI_ARGS"] = string.Join(';', runtime.Args.Select(a => a.Key + "=" + a.Value));
        start.Environment["CNI_PATH"] = string.Join(':', PluginDirectories);
        // Plugins run iptables, which lives in sbin.
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

        Process process;
        try { process = Process.Start(start) ?? throw new EngineException($"starting CNI plugin {executable} failed"); }
        catch (System.ComponentModel.Win32Exception e) { throw new EngineException($"starting CNI plugin {executable}: {e.Message}"); }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(config.ToJsonString());
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The plugin exited without reading its configuration; its exit status says why.
            }
            process.WaitForExit();
            string output = stdout.Result, errors = stderr.Result.Trim();
            if (process.ExitCode == 0) return output;
            throw Failure(type, network, command, process.ExitCode, output, errors);
        }
    }

    private static CniPluginException Failure(string type, string network, CniCommand command, int exitCode, string output, string errors)
    {
        CniError? error = null;
        try
        {
            if (output.TrimStart().StartsWith('{')) error = JsonSerializer.Deserialize(output, CniJsonContext.Default.CniError);
        }
        catch (JsonException)
        {
            // Not the spec's error object: the raw text is reported below.
        }
        List<string> parts = [];
        if (error?.Msg is { Length: > 0 } msg) parts.Add(msg);
        if (error?.Details is { Length: > 0 } details) parts.Add(details);
        if (error is null && output.Trim() is { Length: > 0 } raw) parts.Add(raw);
        if (errors.Length > 0) parts.Add("stderr: " + errors);
        if (parts.Count == 0) parts.Add($"exit status {exitCode} and no message");
        string text = string.Join(": ", parts);
        if (error is { Code: > 0 }) text += $" (CNI error code {error.Code})";
        return new CniPluginException(type, network, command, error?.Code ?? 0, text);
    }
}
