using System.Text.Json;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// One container of one test: a unique id (skt-...), a bundle with its own copy of the busybox
/// rootfs, a private --root, a cgroupsPath under the suite's private parent, and a host directory
/// the test can share with the container. Dispose puts the machine back as it was, whatever the
/// test did: delete --force, kill leftovers, remove cgroups, unmount, remove files.
/// </summary>
public sealed class TestContainer : IDisposable
{
    public const string ShareMountPoint = "/share";

    private readonly Suite _suite;
    private readonly List<Action> _cleanups = new();

    public string Id { get; }

    /// <summary>Everything of this test lives under here (0755: user-namespaced roots must traverse it).</summary>
    public string Dir { get; }

    public string BundleDir { get; }

    public string Rootfs { get; }

    /// <summary>A host directory; <see cref="Share"/> bind-mounts it at /share in the container.</summary>
    public string ShareDir { get; }

    public string PidFile { get; }

    public string CgroupsPath { get; }

    public RuntimeCli Cli { get; }

    public Spec Spec { get; }

    public Process Process => Spec.Process!;

    public Linux Linux => Spec.Linux!;

    public TestContainer(Suite suite, RuntimeCli? sharedCli = null)
    {
        _suite = suite;
        Id = "skt-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..12];
        Dir = Path.Combine(suite.RunDir, Id);
        Directory.CreateDirectory(Dir);
        BundleDir = Path.Combine(Dir, "bundle");
        Directory.CreateDirectory(BundleDir);
        Rootfs = Path.Combine(BundleDir, "rootfs");
        suite.CopyRootfs(Rootfs);
        ShareDir = Path.Combine(Dir, "share");
        Directory.CreateDirectory(ShareDir);
        PidFile = Path.Combine(Dir, "container.pid");
        CgroupsPath = $"/{suite.CgroupParent}/{Id}";
        Cli = sharedCli ?? new RuntimeCli(Path.Combine(Dir, "state"), Dir);
        Spec = DefaultSpec.Create("skt-host", CgroupsPath);
    }

    /// <summary>The process becomes `sh -c SCRIPT` (busybox sh inside the container).</summary>
    public TestContainer Shell(string script)
    {
        Process.Args = ["sh", "-c", script];
        return this;
    }

    /// <summary>Bind-mounts <see cref="ShareDir"/> read-write at /share.</summary>
    public TestContainer Share()
    {
        Spec.Mounts!.Add(new Mount { Destination = ShareMountPoint, Type = "bind", Source = ShareDir, Options = ["rbind", "rw"] });
        return this;
    }

    public string SharedFile(string name) => Path.Combine(ShareDir, name);

    public void WriteConfig() =>
        File.WriteAllText(Path.Combine(BundleDir, "config.json"), JsonSerializer.Serialize(Spec, OciJsonContext.Default.Spec));

    public CliResult Run(CliOptions? options = null)
    {
        WriteConfig();
        return Cli.Invoke(options ?? new CliOptions(), "run", "--bundle", BundleDir, Id);
    }

    /// <summary>Runs the container to completion and returns what its process printed.</summary>
    public string Output()
    {
        var result = Run();
        result.AssertSuccess();
        return result.Stdout;
    }

    public CliResult Create(CliOptions? options = null, params string[] extraFlags)
    {
        WriteConfig();
        return Cli.Invoke(options ?? new CliOptions(), ["create", "--bundle", BundleDir, "--pid-file", PidFile, .. extraFlags, Id]);
    }

    public CliResult Start() => Cli.Invoke("start", Id);

    /// <summary>`kill [FLAGS] ID [SIGNAL]`: flags (--all) go before the id, the signal after it.</summary>
    public CliResult Kill(params string[] signalAndFlags) => Cli.Invoke(["kill", .. signalAndFlags.Where(a => a.StartsWith('-')), Id, .. signalAndFlags.Where(a => !a.StartsWith('-'))]);

    public CliResult Delete(bool force = false) => Cli.Invoke(force ? ["delete", "--force", Id] : ["delete", Id]);

    public State State()
    {
        var result = Cli.Invoke("state", Id).AssertSuccess();
        return JsonSerializer.Deserialize(result.Stdout, OciJsonContext.Default.State)
            ?? throw new Xunit.Sdk.XunitException($"`state` printed no JSON\n{result}");
    }

    public void WaitForStatus(string status, TimeSpan? timeout = null)
    {
        string last = "";
        try
        {
            Wait.Until(() => (last = State().Status) == status, $"{Id} to be {status}", timeout);
        }
        catch (TimeoutException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}; last status {last}");
        }
    }

    public int PidFromFile() => int.Parse(File.ReadAllText(PidFile).Trim());

    /// <summary>Runs at Dispose, before the container's directories are removed.</summary>
    public void OnDispose(Action cleanup) => _cleanups.Add(cleanup);

    /// <summary>
    /// What a failed or finished container must not leave: its state under --root, its cgroup in
    /// any hierarchy, a live process, a mount.
    /// </summary>
    public void AssertNothingLeftBehind()
    {
        var state = Directory.Exists(Cli.StateRoot)
            ? Directory.EnumerateFileSystemEntries(Cli.StateRoot).Where(e => Path.GetFileName(e).Contains(Id, StringComparison.Ordinal)).ToList()
            : [];
        Assert.True(state.Count == 0, $"state left under --root: {string.Join(", ", state)}");

        var cgroups = CgroupFs.ExistingDirectoriesOf(CgroupsPath);
        Assert.True(cgroups.Count == 0, $"cgroup left behind: {string.Join(", ", cgroups)}");

        IReadOnlyList<int> alive = [];
        var gone = SpinUntil(() => (alive = HostProcesses.Using(Dir).Where(HostProcesses.IsAlive).ToList()).Count == 0, TimeSpan.FromSeconds(2));
        Assert.True(gone, $"processes left behind: {string.Join(", ", alive)}");

        var mounts = MountInfo.Under(Dir);
        Assert.True(mounts.Count == 0, $"mounts left behind: {string.Join("; ", mounts)}");
    }

    public void Dispose()
    {
        var problems = new List<string>();
        try
        {
            Cli.Invoke(new CliOptions { Timeout = TimeSpan.FromSeconds(30) }, "delete", "--force", Id);
        }
        catch (TimeoutException e)
        {
            problems.Add(e.Message);
        }

        for (var i = _cleanups.Count - 1; i >= 0; i--)
        {
            try
            {
                _cleanups[i]();
            }
            catch (Exception e)
            {
                problems.Add($"cleanup failed: {e.Message}");
            }
        }

        HostProcesses.KillAndWait(HostProcesses.Using(Dir), problems);
        problems.AddRange(CgroupFs.Remove(CgroupsPath));
        foreach (var m in MountInfo.Under(Dir))
        {
            if (Native.Umount2(m.MountPoint, Native.MNT_DETACH) != 0)
                problems.Add($"umount {m.MountPoint}: {Native.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
        }

        // Never recurse into a directory that still has something mounted in it: that deletes host files.
        if (MountInfo.Under(Dir).Count == 0)
            Directory.Delete(Dir, recursive: true);
        else
            problems.Add($"{Dir} kept: mounts remain under it");

        if (problems.Count > 0)
            throw new InvalidOperationException($"cleanup of {Id} failed:\n" + string.Join('\n', problems));
    }

    private static bool SpinUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            Thread.Sleep(20);
        }
        return true;
    }
}
