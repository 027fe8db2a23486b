namespace Skiff.Integration.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class ContainerCollection : ICollectionFixture<Suite>
{
    // One collection: the tests run one at a time, so a leak found at the end is this suite's own,
    // and two runtimes never race for the machine's two cores.
    public const string Name = "containers";
}

/// <summary>
/// Per test run: a private temp directory (0755, so user-namespaced containers can traverse it), a
/// private cgroup parent in every hierarchy, and a busybox rootfs built once by the project's own
/// scripts/make-busybox-bundle.sh that every test copies (hard links) into its bundle.
/// </summary>
public sealed class Suite : IDisposable
{
    public string RunDir { get; }

    /// <summary>The private parent of every test cgroup: /skiff-it-RANDOM in each hierarchy.</summary>
    public string CgroupParent { get; }

    public string TemplateRootfs { get; }

    private readonly Xunit.Abstractions.IMessageSink _diagnostics;

    public Suite(Xunit.Abstractions.IMessageSink diagnostics)
    {
        _diagnostics = diagnostics;
        if (Native.GetEuid() != 0)
            throw new InvalidOperationException("the integration tests run real containers and must run as root");
        if (!File.Exists(RuntimeUnderTest.BinaryPath))
            throw new FileNotFoundException(
                $"runtime under test {RuntimeUnderTest.BinaryPath} does not exist: run scripts/build.sh, or set SKIFF_RUNTIME");

        var token = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..10];
        RunDir = Path.Combine(Path.GetTempPath(), $"skiff-it-{token}");
        Directory.CreateDirectory(RunDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        CgroupParent = $"skiff-it-{token}";

        var template = Path.Combine(RunDir, "template");
        HostCommand.Run(Path.Combine(RuntimeUnderTest.RepoRoot, "scripts", "make-busybox-bundle.sh"), template);
        TemplateRootfs = Path.Combine(template, "rootfs");
    }

    /// <summary>Copies the template rootfs (hard links: the busybox binary is shared, never written).</summary>
    public void CopyRootfs(string destination) => HostCommand.Run("/bin/cp", "-a", "--link", TemplateRootfs, destination);

    /// <summary>
    /// The suite's last word: after every test has cleaned up after itself, nothing may remain
    /// mounted under the run's directory, running from it, or in its cgroup parent.
    /// </summary>
    public void Dispose()
    {
        var leaks = new List<string>();
        foreach (var m in MountInfo.Under(RunDir))
            leaks.Add($"mount left behind: {m}");
        foreach (var pid in HostProcesses.Using(RunDir))
            leaks.Add($"process left behind: {pid} ({ReadCmdline(pid)})");
        foreach (var dir in CgroupFs.ExistingDirectoriesOf(CgroupParent))
        {
            foreach (var child in Directory.EnumerateDirectories(dir))
                leaks.Add($"cgroup left behind: {child}");
        }

        // Clean up whatever leaked, so the machine is left as found even when the check fails.
        var problems = new List<string>();
        HostProcesses.KillAndWait(HostProcesses.Using(RunDir), problems);
        foreach (var m in MountInfo.Under(RunDir))
            Native.Umount2(m.MountPoint, Native.MNT_DETACH);
        problems.AddRange(CgroupFs.Remove(CgroupParent));
        if (MountInfo.Under(RunDir).Count == 0)
            Directory.Delete(RunDir, recursive: true);
        else
            problems.Add($"{RunDir} kept: mounts remain under it");

        if (leaks.Count + problems.Count > 0)
        {
            var report = "integration suite left state behind:\n" + string.Join('\n', leaks.Concat(problems));
            // The runner shows a fixture cleanup failure by exception type only: say what leaked.
            _diagnostics.OnMessage(new Xunit.Sdk.DiagnosticMessage(report));
            throw new InvalidOperationException(report);
        }
    }

    private static string ReadCmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
