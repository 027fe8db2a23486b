using System.Diagnostics;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>What one host command did.</summary>
public sealed record HostResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public HostResult AssertSuccess() => ExitCode == 0 ? this
        : throw new Xunit.Sdk.XunitException($"expected exit 0, got {ExitCode}\n{this}");

    public override string ToString() => $"$ {Command}  => exit {ExitCode}\nstdout: {Stdout.TrimEnd()}\nstderr: {Stderr.TrimEnd()}";
}

/// <summary>Runs a host tool (ip, mount, cp, ipcmk ...) and returns its stdout; fails loudly.</summary>
public static class HostCommand
{
    /// <summary>Runs a client (podman, ctr) to its end and reports what it did; killed after <paramref name="timeout"/>.</summary>
    public static HostResult Invoke(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        var command = $"{file} {string.Join(' ', psi.ArgumentList)}";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{command} did not finish within {limit.TotalSeconds:0}s: {stderr.Result}");
        }
        // A daemon the client left behind (conmon, a shim) must not hold its output open.
        if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(30)))
            throw new TimeoutException($"{command} exited, but something it started still holds its stdout or stderr");
        return new HostResult(command, p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}{stdout.Result}");
        return stdout.Result;
    }
}
