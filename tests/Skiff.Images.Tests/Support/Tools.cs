using System.Diagnostics;

namespace Skiff.Images.Tests.Support;

/// <summary>Runs the independent tools the tests compare against (tar, skopeo, umoci, setcap).</summary>
public static class Tools
{
    public static string Run(string program, params string[] arguments) => RunWithInput(program, null, arguments);

    public static string RunWithInput(string program, string? input, params string[] arguments)
    {
        (int exit, string output, string error) = TryRun(program, input, arguments);
        if (exit != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: exit {exit}: {error}{output}");
        return output;
    }

    public static (int Exit, string Output, string Error) TryRun(string program, string? input, params string[] arguments)
    {
        ProcessStartInfo start = new(program)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = input is not null,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
