using System.Diagnostics;

namespace Skiff.Engine.Network.Cni;

/// <summary>iptables or ip6tables, waiting for the xtables lock as the plugins do.</summary>
internal static class Iptables
{
    /// <summary>Runs <paramref name="tool"/> with <paramref name="args"/>; its exit status (127 when missing) and stdout.</summary>
    public static (int Exit, string Output) Run(string tool, params string[] args)
    {
        (int exit, string output, _) = Execute(tool, args);
        return (exit, output);
    }

    /// <summary>As <see cref="Run"/>, with stderr instead of stdout: what to tell the user when a change is refused.</summary>
    public static (int Exit, string Errors) RunWithErrors(string tool, params string[] args)
    {
        (int exit, _, string errors) = Execute(tool, args);
        return (exit, errors);
    }

    private static (int Exit, string Output, string Errors) Execute(string tool, string[] args)
    {
        ProcessStartInfo start = new(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--wait");
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
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
