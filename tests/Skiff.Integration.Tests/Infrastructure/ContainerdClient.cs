using System.Diagnostics;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// A private containerd (Debian's, with its runc v2 shim) and its ctr, told to use the runtime
/// under test with --runc-binary, as containerd users swap runtimes. Root, state, socket, FIFOs,
/// the runtime's root and the containers' cgroups (below the suite's parent) are all private;
/// containers run from a plain rootfs (ctr run --rootfs), so no snapshotter mounts anything.
/// Dispose ends every task, shim and the daemon, and removes what they made.
/// </summary>
public sealed class ContainerdClient : IDisposable
{
    private const string Namespace = "skiff-it";

    private readonly string _dir;
    private readonly Process _daemon;
    // The shim's socket directory is fixed in containerd 1.6.
    private readonly FixedHostDirectories _fixed = new("/run/containerd", "/run/containerd/s");

    public ContainerdClient(Suite suite)
    {
        var token = Guid.NewGuid().ToString("N")[..8];
        _dir = Path.Combine(suite.RunDir, $"containerd-{token}");
        Directory.CreateDirectory(_dir);
        CgroupParent = $"/{suite.CgroupParent}/containerd-{token}";
        var config = Path.Combine(_dir, "config.toml");
        // The CRI plugin is off (it would start a CNI watcher and a kubelet-facing server); the opt
        // plugin would otherwise make /opt/containerd.
        File.WriteAllText(config, $"""
            version = 2
            root = "{Path.Combine(_dir, "root")}"
            state = "{Path.Combine(_dir, "state")}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Socket}"
            [plugins."io.containerd.internal.v1.opt"]
              path = "{Path.Combine(_dir, "opt")}"
            """);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec /usr/bin/containerd --config \"$1\" >\"$2\" 2>&1");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(config);
        psi.ArgumentList.Add(LogPath);
        _daemon = Process.Start(psi) ?? throw new InvalidOperationException("could not start containerd");
        try
        {
            Wait.Until(() => _daemon.HasExited || File.Exists(Socket), "containerd to open its socket");
            if (_daemon.HasExited)
                throw new InvalidOperationException($"containerd exited: {DaemonLog}");
            Invoke("version").AssertSuccess();
        }
        catch
        {
            try { Dispose(); }
            catch (InvalidOperationException) { } // the first failure is the one to report
            throw;
        }
    }

    /// <summary>Where the containers' cgroups go (ctr run --cgroup PARENT/ID).</summary>
    public string CgroupParent { get; }

    private string Socket => Path.Combine(_dir, "containerd.sock");

    private string LogPath => Path.Combine(_dir, "containerd.log");

    /// <summary>`ctr --address SOCKET -n NAMESPACE args...`.</summary>
    public HostResult Invoke(params string[] args) =>
        HostCommand.Invoke("/usr/bin/ctr", ["--address", Socket, "--namespace", Namespace, .. args]);

    /// <summary>
    /// `ctr run --rootfs` of a fresh copy of the suite's busybox rootfs with the runtime under test,
    /// private FIFOs, runtime root and cgroup; <paramref name="flags"/> go before the rootfs.
    /// </summary>
    public HostResult Run(Suite suite, string id, string[] flags, params string[] command)
    {
        var rootfs = Path.Combine(_dir, "rootfs-" + id);
        suite.CopyRootfs(rootfs);
        return Invoke(
        [
            "run", "--rootfs", "--fifo-dir", Path.Combine(_dir, "fifo"), "--runc-binary", RuntimeUnderTest.BinaryPath,
            "--runc-root", Path.Combine(_dir, "runtime"), "--cgroup", CgroupOf(id), .. flags, rootfs, id, .. command,
        ]);
    }

    /// <summary>`ctr task exec --fifo-dir PRIVATE args...` (its FIFOs would otherwise go to /run/containerd/fifo).</summary>
    public HostResult Exec(params string[] args) => Invoke(["task", "exec", "--fifo-dir", Path.Combine(_dir, "fifo"), .. args]);

    public string CgroupOf(string id) => $"{CgroupParent}/{id}";

    public string DaemonLog => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public void Dispose()
    {
        var problems = new List<string>();
        HostProcesses.KillAndWait(HostProcesses.Using(_dir).Where(pid => pid != _daemon.Id), problems);
        if (!_daemon.HasExited)
        {
            _daemon.Kill();
            _daemon.WaitForExit();
        }
        _daemon.Dispose();
        foreach (var mount in MountInfo.Under(_dir))
            Native.Umount2(mount.MountPoint, Native.MNT_DETACH);
        problems.AddRange(CgroupFs.Remove(CgroupParent));
        _fixed.RemoveMade();
        Directory.Delete(_dir, recursive: true);
        if (problems.Count > 0)
            throw new InvalidOperationException("containerd left state behind:\n" + string.Join('\n', problems));
    }
}
