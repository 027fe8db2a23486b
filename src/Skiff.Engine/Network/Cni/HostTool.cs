using System.Diagnostics;

namespace Skiff.Engine.Network.Cni;

/// <summary>A host tool (iptables, ip) run to its end: its exit status (127 when missing), stdout and stderr.</summary>
internal static class HostTool
{
    /// <summary>The system's own directories: a user's PATH must not choose which iptables changes the host.</summary>
    private const string SystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static (int Exit, string Output, string Errors) Run(string tool, IEnumerable<string> args)
    {
        ProcessStartInfo start = new(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["PATH"] = SystemPath;
        try
        {
            using Process process = Process.Start(start)!;
            Task<string> errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, errors.Result);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (127, "", $"{tool} not found");
        }
    }
}
