using System.Diagnostics;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>Runs a host tool (ip, mount, cp, ipcmk ...) and returns its stdout; fails loudly.</summary>
public static class HostCommand
{
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
