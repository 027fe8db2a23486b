using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Skiff.Engine.Runtime;

/// <summary>
/// Talks to an OCI runtime through runc's command line (skiff-runc, runc, crun or any other), with
/// the engine's private --root for the runtime's state.
/// </summary>
public sealed partial class OciRuntimeClient(string executable, string stateRoot)
{
    public string Executable { get; } = executable;
    public string StateRoot { get; } = stateRoot;

    public void Start(string id) => Check(Run("start", id), "start", id);

    /// <summary>Sends a signal; a container that is already gone is not an error (the caller rechecks the state).</summary>
    public bool Kill(string id, string signal, bool all = false)
    {
        RuntimeResult result = all ? Run("kill", "--all", id, signal) : Run("kill", id, signal);
        return result.Exit == 0;
    }

    public void Pause(string id) => Check(Run("pause", id), "pause", id);

    public void Resume(string id) => Check(Run("resume", id), "resume", id);

    /// <summary>Removes the runtime's record (and kills what is left); "does not exist" counts as done.</summary>
    public void Delete(string id)
    {
        RuntimeResult result = Run("delete", "--force", id);
        if (result.Exit != 0 && !IsNotFound(result.Error)) Check(result, "delete", id);
    }

    /// <summary>runc state's status, or null when the runtime has no such container.</summary>
    public string? Status(string id)
    {
        RuntimeResult result = Run("state", id);
        if (result.Exit != 0) return null;
        Match match = StatusPattern().Match(result.Output);
        return match.Success ? match.Groups[1].Value : null;
    }

    public RuntimeResult Run(params string[] args)
    {
        ProcessStartInfo start = new(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("--root");
        start.ArgumentList.Add(StateRoot);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start) ?? throw new EngineException($"starting runtime {Executable} failed");
        process.StandardInput.Close();
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new RuntimeResult(process.ExitCode, output, error.Result);
    }

    private void Check(RuntimeResult result, string verb, string id)
    {
        if (result.Exit != 0) throw new EngineException($"{Path.GetFileName(Executable)} {verb} {id[..Math.Min(12, id.Length)]}: {Message(result.Error)}");
    }

    /// <summary>The runtime's own words: the msg of runc's logfmt error lines, or its stderr as is.</summary>
    public static string Message(string stderr)
    {
        List<string> messages = [.. MessagePattern().Matches(stderr).Select(m => Regex.Unescape(m.Groups[1].Value))];
        string text = messages.Count > 0 ? messages[0] : stderr.Trim();
        return text.Length > 0 ? text : "the runtime failed without a message";
    }

    private static bool IsNotFound(string stderr) => stderr.Contains("does not exist", StringComparison.Ordinal) || stderr.Contains("not found", StringComparison.Ordinal);

    [GeneratedRegex("\"status\"\\s*:\\s*\"([a-z]+)\"")]
    private static partial Regex StatusPattern();

    [GeneratedRegex("level=error msg=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex MessagePattern();
}

public sealed record RuntimeResult(int Exit, string Output, string Error);
