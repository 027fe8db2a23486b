using Skiff.Cli;

namespace Skiff.Images.Tests.Support;

public sealed record CliResult(int Exit, string Out, string Error);

/// <summary>Runs the skiff command line in-process with captured output, against a given store root.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunWithInputAsync(string root, string? input, params string[] args)
    {
        StringWriter output = new(), error = new();
        CliContext cli = new()
        {
            Out = output,
            Error = error,
            In = new StringReader(input ?? ""),
            OutputIsTerminal = false,
            InputIsTerminal = false,
        };
        int exit = await SkiffCommandLine.RunAsync(["--root", root, .. args], cli);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    public static Task<CliResult> RunAsync(string root, params string[] args) => RunWithInputAsync(root, null, args);
}
