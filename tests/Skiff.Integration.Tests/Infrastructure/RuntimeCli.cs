using System.Diagnostics;
using System.Text;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>What one invocation of the runtime did.</summary>
public sealed record CliResult(IReadOnlyList<string> Args, int ExitCode, string Stdout, string Stderr, string? Log)
{
    /// <summary>Non-empty lines of stderr: runc-compatible errors are one line each.</summary>
    public IReadOnlyList<string> StderrLines =>
        Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public CliResult AssertSuccess()
    {
        if (ExitCode != 0)
            throw new Xunit.Sdk.XunitException($"expected exit 0 from runtime, got {ExitCode}\n{this}");
        return this;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("$ ").AppendJoin(' ', Args).Append("  => exit ").Append(ExitCode).AppendLine();
        sb.Append("stdout: ").AppendLine(Stdout.Length == 0 ? "(empty)" : Stdout.TrimEnd());
        sb.Append("stderr: ").AppendLine(Stderr.Length == 0 ? "(empty)" : Stderr.TrimEnd());
        if (Log is not null)
            sb.Append("log: ").AppendLine(Log.TrimEnd());
        return sb.ToString();
    }
}

/// <summary>How to invoke: stdin, the --log file, extra environment for the runtime process.</summary>
public sealed record CliOptions
{
    public string StdinPath { get; init; } = "/dev/null";

    /// <summary>Adds `--log FILE --log-format json`, as containerd, dockerd and Podman do.</summary>
    public string? JsonLogPath { get; init; }

    /// <summary>A file the runtime gets open as fd 3 (for --preserve-fds).</summary>
    public string? Fd3Path { get; init; }

    /// <summary>A cgroup (absolute, under the suite's parent) the runtime process runs in, in every hierarchy; made if missing.</summary>
    public string? Cgroup { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Runs the runtime under test with a private --root. Its stdio goes to files, never pipes: a
/// detached container inherits them, and a pipe would keep a reader waiting until the container ends.
/// </summary>
public sealed class RuntimeCli(string stateRoot, string captureDir)
{
    private int _sequence;

    public string StateRoot { get; } = stateRoot;

    public CliResult Invoke(params string[] args) => Invoke(new CliOptions(), args);

    public CliResult Invoke(CliOptions options, params string[] args)
    {
        using var running = Start(options, args);
        return running.WaitForExit(options.Timeout);
    }

    /// <summary>Starts the runtime without waiting (for `run` of a container that another call will end).</summary>
    public RunningCli Start(CliOptions options, params string[] args)
    {
        var n = Interlocked.Increment(ref _sequence);
        var stdout = Path.Combine(captureDir, $"cli-{n}.out");
        var stderr = Path.Combine(captureDir, $"cli-{n}.err");

        var fullArgs = new List<string> { "--root", StateRoot };
        if (options.JsonLogPath is not null)
            fullArgs.AddRange(["--log", options.JsonLogPath, "--log-format", "json"]);
        fullArgs.AddRange(args);

        if (options.Cgroup is not null)
            CgroupFs.Create(options.Cgroup);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        // The shell joins the cgroup itself and then becomes the runtime, so the runtime starts inside it.
        const string JoinCgroup = "for d in $SKT_CGROUPS; do echo $$ >\"$d/cgroup.procs\" || exit 125; done; ";
        psi.ArgumentList.Add(JoinCgroup + (options.Fd3Path is null
            ? "exec \"$@\" <\"$SKT_STDIN\" >\"$SKT_STDOUT\" 2>\"$SKT_STDERR\""
            : "exec \"$@\" <\"$SKT_STDIN\" >\"$SKT_STDOUT\" 2>\"$SKT_STDERR\" 3<\"$SKT_FD3\""));
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(RuntimeUnderTest.BinaryPath);
        foreach (var a in fullArgs)
            psi.ArgumentList.Add(a);
        psi.Environment["SKT_STDIN"] = options.StdinPath;
        psi.Environment["SKT_STDOUT"] = stdout;
        psi.Environment["SKT_STDERR"] = stderr;
        if (options.Fd3Path is not null)
            psi.Environment["SKT_FD3"] = options.Fd3Path;
        psi.Environment["SKT_CGROUPS"] = options.Cgroup is null ? "" : string.Join(' ', CgroupFs.DirectoriesOf(options.Cgroup));
        foreach (var (k, v) in options.Environment)
            psi.Environment[k] = v;

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start /bin/sh");
        return new RunningCli(process, [Path.GetFileName(RuntimeUnderTest.BinaryPath), .. fullArgs], stdout, stderr, options.JsonLogPath);
    }
}

public sealed class RunningCli(Process process, IReadOnlyList<string> args, string stdoutPath, string stderrPath, string? logPath) : IDisposable
{
    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public CliResult WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"runtime did not exit within {timeout.TotalSeconds:0}s\n{Collect(-1)}");
        }
        return Collect(process.ExitCode);
    }

    private CliResult Collect(int exitCode) =>
        new(args, exitCode, ReadOrEmpty(stdoutPath), ReadOrEmpty(stderrPath), logPath is null ? null : ReadOrEmpty(logPath));

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
    }
}
