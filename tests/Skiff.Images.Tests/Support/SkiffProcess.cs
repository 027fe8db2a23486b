using System.Diagnostics;
using Skiff.Cli;

namespace Skiff.Images.Tests.Support;

/// <summary>The skiff command line as a separate process (another skiff on the same store, or one to kill).</summary>
public static class SkiffProcess
{
    public static Process Start(string root, params string[] args) => Start(root, args, redirectInput: false);

    public static Process Start(string root, string verb, bool redirectInput) => Start(root, [verb], redirectInput);

    public static Process Start(string root, string[] args, bool redirectInput)
    {
        string dll = typeof(SkiffCommandLine).Assembly.Location;
        ProcessStartInfo start = new("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = redirectInput, UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--root");
        start.ArgumentList.Add(root);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        // The test runtime is newer than skiff's net9.0 target.
        start.Environment["DOTNET_ROLL_FORWARD"] = "Major";
        return Process.Start(start)!;
    }

    public static async Task<(int Exit, string Out, string Error)> RunAsync(string root, params string[] args)
    {
        using Process process = Start(root, args);
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
