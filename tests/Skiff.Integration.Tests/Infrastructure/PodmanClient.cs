namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// Debian's Podman driving the runtime under test, the way a user points Podman at another runtime
/// (containers.conf's [engine.runtimes]), with everything it keeps made private: storage (vfs, so no
/// mounts), run (under /run: its path must be short), tmp and network directories, file locks instead of the shared /dev/shm segment,
/// file events, the runtime's --root (through a wrapper), and cgroupfs cgroups below the suite's parent. The image is
/// the suite's busybox rootfs, imported. Dispose removes every container and what Podman made.
/// </summary>
public sealed class PodmanClient : IDisposable
{
    public const string Image = "localhost/skiff-it/busybox:1";

    private readonly string _dir;
    private readonly string _runRoot;
    private readonly Dictionary<string, string> _environment;

    // Podman 4.3 keeps its network run directory there whatever it is told.
    private readonly FixedHostDirectories _fixed = new("/run/containers", "/run/containers/networks");

    /// <summary>The --cgroup-parent of every container run here, under the suite's private parent.</summary>
    public string CgroupParent { get; }

    public PodmanClient(Suite suite)
    {
        var token = Guid.NewGuid().ToString("N")[..8];
        _dir = Path.Combine(suite.RunDir, $"podman-{token}");
        Directory.CreateDirectory(_dir);
        // Podman refuses a runroot longer than 50 characters (conmon's attach socket lives there).
        _runRoot = $"/run/skiff-it-podman-{token}";
        CgroupParent = $"/{suite.CgroupParent}/podman-{token}";
        // Podman hands the runtime no --root of its own, and conmon's cleanup command would not carry a
        // --runtime-flag: the runtime is called through a wrapper that gives it this client's root.
        var wrapper = Path.Combine(_dir, "runtime-under-test");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec {RuntimeUnderTest.BinaryPath} --root {Path.Combine(_dir, "runtime")} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = Path.Combine(_dir, "containers.conf");
        // Podman's default nofile ulimit (1048576) is above this machine's hard limit, which runc
        // refuses to raise here as skiff-runc does: both need CAP_SYS_RESOURCE the host lacks.
        File.WriteAllText(config, $"""
            [containers]
            netns = "none"
            default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

            [engine]
            lock_type = "file"
            events_logger = "file"
            cgroup_manager = "cgroupfs"
            runtime = "under-test"

            [engine.runtimes]
            under-test = ["{wrapper}"]

            [network]
            network_config_dir = "{Path.Combine(_dir, "networks")}"
            """);
        _environment = new Dictionary<string, string> { ["CONTAINERS_CONF"] = config };
        try
        {
            var tarball = Path.Combine(_dir, "rootfs.tar");
            HostCommand.Run("/bin/tar", "-C", suite.TemplateRootfs, "-cf", tarball, ".");
            Invoke("import", tarball, Image).AssertSuccess();
        }
        catch
        {
            try { Dispose(); }
            catch (InvalidOperationException) { } // the first failure is the one to report
            throw;
        }
    }

    /// <summary>`podman GLOBALS args...`.</summary>
    public HostResult Invoke(params string[] args) => HostCommand.Invoke("/usr/bin/podman",
    [
        "--root", Path.Combine(_dir, "storage"), "--runroot", _runRoot, "--tmpdir", Path.Combine(_dir, "tmp"),
        "--storage-driver", "vfs", .. args,
    ], _environment);

    /// <summary>`podman run --cgroup-parent PARENT args...`.</summary>
    public HostResult Run(params string[] args) => Invoke(["run", "--cgroup-parent", CgroupParent, .. args]);

    /// <summary>The container's cgroup (cgroupfs names it libpod-ID below the parent), as a cgroupsPath.</summary>
    public string CgroupOf(string id) => $"{CgroupParent}/libpod-{id}";

    public void Dispose()
    {
        var problems = new List<string>();
        var removed = Invoke("rm", "--all", "--force", "--time", "0");
        if (removed.ExitCode != 0)
            problems.Add($"podman rm --all failed: {removed}");
        foreach (var dir in new[] { _dir, _runRoot })
        {
            HostProcesses.KillAndWait(HostProcesses.Using(dir), problems);
            foreach (var mount in MountInfo.Under(dir))
                Native.Umount2(mount.MountPoint, Native.MNT_DETACH);
        }
        problems.AddRange(CgroupFs.Remove(CgroupParent));
        foreach (var dir in new[] { _dir, _runRoot })
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        _fixed.RemoveMade();
        if (problems.Count > 0)
            throw new InvalidOperationException("podman left state behind:\n" + string.Join('\n', problems));
    }
}
