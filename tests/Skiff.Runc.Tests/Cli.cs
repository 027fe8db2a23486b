using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Tests;

/// <summary>Runs skiff-runc in-process, as the executable would, and captures what it prints.</summary>
internal static class Cli
{
    public static Invocation Parse(params string[] args) => new RuncCommandLine().Parse(args);

    public static RuncCommand Command(params string[] args) => Parse(args).Command;

    public static (int Status, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int status = RuncApp.Run(args, stdout, stderr);
        return (status, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The message of a command line that was refused at parse time.</summary>
    public static string UsageError(params string[] args) =>
        Assert.IsType<UsageErrorCommand>(Command(args)).Message;
}

/// <summary>A private directory that is removed whatever the test did.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "skiff-runc-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
