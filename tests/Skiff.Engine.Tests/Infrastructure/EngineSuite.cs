using System.Diagnostics;
using System.Text;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Engine.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineSuite>
{
    // One at a time: each test asserts on what it made, and the machine has two cores.
    public const string Name = "engine";
}

public sealed record SkiffResult(int Exit, string Out, string Error)
{
    public override string ToString() => $"exit {Exit}\nstdout: {Out}\nstderr: {Error}";
}

/// <summary>
/// Per test run: a private store root with the built-in busybox image, a private engine config
/// naming the runtime under test, and a private cgroup parent. Its Dispose removes every container
/// and fails the run if a mount, process, cgroup or monitor of the run was left behind.
/// </summary>
public sealed class EngineSuite : IDisposable
{
    public string RunDir { get; }
    public string Root { get; }
    public string CgroupParent { get; }
    public string ConfigPath { get; }
    public static string Binary { get; } = Environment.GetEnvironmentVariable("SKIFF_BINARY") is { Length: > 0 } b ? Path.GetFullPath(b) : Path.Combine(RepoRoot, "artifacts", "bin", "skiff");
    public static string Runtime { get; } = Environment.GetEnvironmentVariable("SKIFF_RUNTIME") is { Length: > 0 } r ? Path.GetFullPath(r) : Path.Combine(RepoRoot, "artifacts", "bin", "skiff-runc");

    public EngineSuite() : this(null) { }

    /// <param name="extraConfig">More members of the private engine config, as JSON ("\"network_backend\": \"cni\"").</param>
    internal EngineSuite(string? extraConfig)
    {
        if (Native.GetEuid() != 0) throw new InvalidOperationException("the engine tests run real containers and must run as root");
        if (!File.Exists(Binary)) throw new FileNotFoundException($"skiff binary {Binary} does not exist: run scripts/build.sh, or set SKIFF_BINARY");
        string token = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..10];
        RunDir = Path.Combine(Path.GetTempPath(), $"skiff-et-{token}");
        Directory.CreateDirectory(RunDir);
        Root = Path.Combine(RunDir, "root");
        CgroupParent = $"/skiff-et-{token}";
        ConfigPath = Path.Combine(RunDir, "engine.json");
        File.WriteAllText(ConfigPath, $$"""
            { "default_runtime": "test", "runtimes": { "test": "{{Runtime}}", "runc": "/usr/sbin/runc" }, "cgroup_parent": "{{CgroupParent}}"{{(extraConfig is null ? "" : ", " + extraConfig)}} }
            """);
        SkiffResult import = Run("image", "import-busybox");
        if (import.Exit != 0) throw new InvalidOperationException($"import-busybox failed: {import}");
    }

    public SkiffResult Run(params string[] args) => RunWithInput(null, args);

    /// <summary>Runs skiff with the suite's root and config; a hang guard kills it after two minutes.</summary>
    public SkiffResult RunWithInput(string? input, params string[] args) => Execute([], input, args);

    /// <summary>Runs skiff as <see cref="Run"/> does, started by <paramref name="launcher"/> (nsenter and its flags).</summary>
    public SkiffResult RunVia(string[] launcher, params string[] args) => Execute(launcher, null, args);

    private SkiffResult Execute(string[] launcher, string? input, string[] args)
    {
        string[] command = [.. launcher, Binary, "--root", Root, "--engine-config", ConfigPath, .. args];
        ProcessStartInfo start = new(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in command[1..]) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (input is not null) process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"skiff {string.Join(' ', args)} hung");
        }
        return new SkiffResult(process.ExitCode, output.Result, error.Result);
    }

    public string Ok(params string[] args)
    {
        SkiffResult result = Run(args);
        Assert.True(result.Exit == 0, $"skiff {string.Join(' ', args)}: {result}");
        return result.Out;
    }

    /// <summary>A skiff process we do not wait for (a follower, a victim of kill -9).</summary>
    public Process Start(params string[] args)
    {
        ProcessStartInfo start = new(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string arg in (string[])["--root", Root, "--engine-config", ConfigPath, .. args]) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    /// <summary>
    /// Writes an executable runtime for --runtime PATH: a shell script that runs
    /// <paramref name="before"/> (lines of sh, each ending in a newline), then execs the runtime under test.
    /// </summary>
    public static void WriteRuntimeWrapper(string path, string before)
    {
        File.WriteAllText(path, $"#!/bin/sh\n{before}exec {Runtime} \"$@\"\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
    }

    /// <summary>The cgroup directory (memory hierarchy) of a container of this run.</summary>
    public string CgroupPath(string id) => $"{CgroupParent}/skiff-{id}";

    public static string RepoRoot
    {
        get
        {
            string? recorded = typeof(EngineSuite).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
                .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "SkiffRepoRoot")?.Value;
            return recorded ?? throw new InvalidOperationException("the build did not record the checkout");
        }
    }

    public void Dispose()
    {
        List<string> leaks = [];
        SkiffResult left = Run("ps", "-aq", "--no-trunc");
        foreach (string id in left.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            leaks.Add($"container left behind: {id}");
            Run("rm", "-f", id);
        }
        foreach (MountEntry m in MountInfo.Under(RunDir)) leaks.Add($"mount left behind: {m}");
        foreach (int pid in HostProcesses.Using(RunDir)) leaks.Add($"process left behind: {pid}");
        foreach (int pid in LingeringProcesses()) leaks.Add($"monitor left behind: {pid}");
        foreach (string dir in CgroupFs.ExistingDirectoriesOf(CgroupParent))
            foreach (string child in Directory.EnumerateDirectories(dir)) leaks.Add($"cgroup left behind: {child}");

        List<string> problems = [];
        HostProcesses.KillAndWait([.. HostProcesses.Using(RunDir), .. MonitorsOfThisRun()], problems);
        foreach (MountEntry m in MountInfo.Under(RunDir)) Native.Umount2(m.MountPoint, Native.MNT_DETACH);
        problems.AddRange(CgroupFs.Remove(CgroupParent));
        if (MountInfo.Under(RunDir).Count == 0) Directory.Delete(RunDir, recursive: true);
        else problems.Add($"{RunDir} kept: mounts remain under it");
        if (leaks.Count + problems.Count > 0)
            throw new InvalidOperationException("engine suite left state behind:\n" + string.Join('\n', leaks.Concat(problems)));
    }

    /// <summary>Waits for the exit commands conmon runs as containers die (they finish by themselves), then lists what is left.</summary>
    public List<int> LingeringProcesses()
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        List<int> left = [.. MonitorsOfThisRun()];
        while (left.Count > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
            left = [.. MonitorsOfThisRun()];
        }
        return left;
    }

    /// <summary>Processes whose command line names this run's root: conmons, health monitors, cleanups.</summary>
    public IEnumerable<int> MonitorsOfThisRun()
    {
        foreach (string entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int pid)) continue;
            string cmdline;
            try
            {
                cmdline = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(entry, "cmdline")));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (pid != Environment.ProcessId && cmdline.Contains(Root, StringComparison.Ordinal)) yield return pid;
        }
    }
}
