using System.Text.Json;
using Skiff.Cgroups;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Launch;
using Skiff.Runtime.Lifecycle;
using Skiff.Runtime.Store;

namespace Skiff.Runtime;

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// `exec`: runs a new process in every namespace and the cgroup of a created or running container.
    /// Detached, it returns once the process has exec'd; otherwise it waits and returns its exit code.
    /// </summary>
    public int Exec(ExecOptions o)
    {
        if (options.SealBinary) SealedExecutable.Ensure(); // the joining process is the runtime until it execs (CVE-2019-5736)
        ContainerRecord record = LoadExisting(o.Id);
        string status = StatusOf(record);
        if (status == ContainerStatus.Stopped) throw new RuntimeException("cannot exec in a stopped container");
        if (status == ContainerStatus.Creating) throw new RuntimeException($"cannot exec in container {o.Id}: it is still being created");
        if (status == ContainerStatus.Paused && !o.IgnorePaused)
            throw new RuntimeException("cannot exec in a paused container (use --ignore-paused to override)");
        if (o.PreserveFds < 0) throw new RuntimeException($"--preserve-fds {o.PreserveFds} is negative");

        Spec spec = _store.LoadConfig(o.Id);
        Process process = ExecProcess(o, spec);
        if (process.Terminal && o.ConsoleSocket is null && o.Detach)
            throw new RuntimeException("cannot allocate tty if runc will detach without setting console socket");
        if (!process.Terminal && o.ConsoleSocket is not null)
            throw new RuntimeException("cannot use console socket if runc will not detach or allocate tty");

        ICgroup cgroup = OpenCgroup(record);
        Action<int>? placement = o.Cgroups.Count > 0 ? SubCgroupPlacement(cgroup, o.Cgroups) : null;
        var fds = new List<int>();
        try
        {
            var namespaces = OpenNamespaces(record, spec, fds);
            var (parentSocket, childSocket) = SocketPair(Kernel.SOCK_SEQPACKET);
            fds.Add(parentSocket);
            fds.Add(childSocket);
            var (console, consoleReceiver) = process.Terminal ? OpenConsole(o.ConsoleSocket, fds) : (-1, -1);

            LaunchPlan plan = LaunchPlanner.PlanExec(new ExecInputs(spec, process, childSocket, console)
            {
                Namespaces = namespaces, PreserveFds = o.PreserveFds, NoNewKeyring = record.NoNewKeyring, ContainerId = o.Id,
                Host = HostProbe.HostFor(process), Paths = HostProbe.PathsForExec(process, $"/proc/{record.Pid}/root"),
            });
            foreach (string warning in plan.Warnings) Warn?.Invoke(warning);
            foreach (string note in plan.DebugNotes) Debug?.Invoke(note);

            // The process is a grandchild (it is forked inside the PID namespace): adopt it to wait for it.
            if (!o.Detach) Interop.Libc.Prctl(Kernel.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
            var sessionSpec = new Spec { OciVersion = spec.OciVersion, Process = process, Linux = spec.Linux };
            fds.Remove(parentSocket); // the session owns it from here
            using var session = new LaunchSession(plan, sessionSpec, cgroup, parentSocket, -1, () => record.ToState(status))
            {
                Placement = placement,
            };
            try
            {
                fds.Remove(childSocket);
                session.Start(childSocket, _ => { });
                int master = consoleReceiver >= 0 ? ConsoleRelay.ReceiveMaster(consoleReceiver) : -1;
                // A relay owns the master and closes it; closing it again below could hit a reused fd number.
                if (master >= 0 && o.Detach) fds.Add(master);
                using ConsoleRelay? relay = master >= 0 && !o.Detach ? new ConsoleRelay(master) : null;
                session.Release();
                if (o.PidFile is not null) WritePidFile(o.PidFile, session.Pid);
                if (o.Detach) return 0;
                using var forwarder = new SignalForwarder(session.Pid);
                int exit = ExitWaiter.Wait(session.Pid);
                relay?.Drain();
                return ExitWaiter.ExitCode(exit);
            }
            catch
            {
                session.Abort();
                throw;
            }
        }
        catch (Exception e) when (e is CgroupException or SystemCallException or IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException($"exec in container {o.Id}: {ErrorText.Describe(e)}", e);
        }
        finally
        {
            foreach (int fd in fds) Interop.Libc.Close(fd);
        }
    }

    /// <summary>The container's process with the flags laid over it, or the --process file as it is.</summary>
    private static Process ExecProcess(ExecOptions o, Spec spec)
    {
        Process process;
        if (o.ProcessPath is { } path)
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new RuntimeException($"--process: {ErrorText.Describe(e)}"); }
            try
            {
                process = SpecReader.ReadProcessDocument(bytes)
                    ?? throw new RuntimeException($"--process {path}: the file holds null, not a process");
            }
            catch (JsonException e) { throw new RuntimeException($"--process {path}: {OciJsonError.Describe(e, bytes)}"); }
            if (o.Tty) process.Terminal = true;
            return process;
        }
        if (o.Args.Count == 0) throw new RuntimeException("exec: no command given: pass the arguments after the container id, or --process");
        // The spec is this call's own copy of the stored config, never saved back: change it in place.
        process = spec.Process!;
        process.Args = [.. o.Args];
        process.Terminal = o.Tty;
        process.ConsoleSize = null;
        process.Env = [.. process.Env ?? [], .. o.Env];
        if (o.Cwd is { } cwd) process.Cwd = cwd;
        if (o.User is { } user)
        {
            string[] parts = user.Split(':');
            uint gid = 0;
            if (parts.Length > 2 || !uint.TryParse(parts[0], out uint uid) || (parts.Length == 2 && !uint.TryParse(parts[1], out gid)))
                throw new RuntimeException($"--user \"{user}\": expected uid[:gid] as numbers");
            process.User.Uid = uid;
            if (parts.Length == 2) process.User.Gid = gid;
        }
        if (o.AdditionalGids.Count > 0) process.User.AdditionalGids = [.. process.User.AdditionalGids ?? [], .. o.AdditionalGids];
        if (o.Caps.Count > 0)
        {
            // Like runc: added to bounding, effective and permitted; not inheritable (CVE-2022-29162), so not ambient.
            // An unknown name is kept: the planner warns and ignores it, as runc does.
            Capabilities caps = process.Capabilities ??= new Capabilities();
            foreach (string cap in o.Caps)
            {
                string name = cap.StartsWith("CAP_", StringComparison.OrdinalIgnoreCase) ? cap.ToUpperInvariant() : "CAP_" + cap.ToUpperInvariant();
                caps.Bounding = [.. caps.Bounding ?? [], name];
                caps.Effective = [.. caps.Effective ?? [], name];
                caps.Permitted = [.. caps.Permitted ?? [], name];
            }
        }
        if (o.NoNewPrivileges is bool nnp) process.NoNewPrivileges = nnp;
        if (o.Apparmor is { } profile) process.ApparmorProfile = profile;
        if (o.ProcessLabel is { } label) process.SelinuxLabel = label;
        return process;
    }

    /// <summary>
    /// Handles on the init's namespaces, for every namespace the config gives the container (new or
    /// joined). The init is checked again afterwards: a pid reused between the two would fail there.
    /// </summary>
    private static Dictionary<string, int> OpenNamespaces(ContainerRecord record, Spec spec, List<int> fds)
    {
        var namespaces = new Dictionary<string, int>();
        foreach (LinuxNamespace ns in spec.Linux?.Namespaces ?? [])
        {
            if (NamespaceKind.FromOciType(ns.Type) is not { } kind) continue;
            string path = kind.ProcPath(record.Pid);
            int fd = Interop.Libc.Open(path, Kernel.O_RDONLY | Kernel.O_CLOEXEC, 0);
            if (fd < 0) throw SystemCallException.Last($"opening the container's {ns.Type} namespace {path}");
            fds.Add(fd);
            namespaces[ns.Type] = fd;
        }
        if (!ProcessInfo.IsAlive(record.Pid, record.PidStartTime))
            throw new RuntimeException("cannot exec in a stopped container");
        return namespaces;
    }

    /// <summary>
    /// runc's --cgroup: each "path" or "ctrl[,ctrl]:path" names an existing sub-cgroup of the
    /// container's; a hierarchy named by a controller goes there, the others to the plain path if
    /// one is given, else to the container's own cgroup. Sub-cgroups may not climb out of it.
    /// </summary>
    private static Action<int> SubCgroupPlacement(ICgroup cgroup, IReadOnlyList<string> specs)
    {
        IReadOnlyList<CgroupMountSource> hierarchies = cgroup.MountSources();
        bool unified = hierarchies.Count == 1 && hierarchies[0].IsUnified;
        string? everywhere = null;
        var byController = new Dictionary<string, string>();
        foreach (string spec in specs)
        {
            int colon = spec.IndexOf(':');
            string sub = (colon >= 0 ? spec[(colon + 1)..] : spec).Trim('/');
            if (sub.Length == 0 || sub.Split('/').Any(part => part is "" or "." or ".."))
                throw new RuntimeException($"--cgroup \"{spec}\": the sub-cgroup must be a relative path inside the container's cgroup");
            if (colon < 0)
            {
                if (everywhere is not null) throw new RuntimeException($"--cgroup \"{spec}\": a path for every hierarchy is given twice");
                everywhere = sub;
                continue;
            }
            if (unified) throw new RuntimeException($"--cgroup \"{spec}\": a cgroup v2 host has one hierarchy: give the path alone");
            foreach (string controller in spec[..colon].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!hierarchies.Any(h => h.Controllers.Contains(controller)))
                    throw new RuntimeException($"--cgroup \"{spec}\": controller {controller} has no hierarchy on this host");
                if (!byController.TryAdd(controller, sub))
                    throw new RuntimeException($"--cgroup \"{spec}\": controller {controller} is given twice");
            }
        }
        string TargetOf(CgroupMountSource h)
        {
            string? sub = h.Controllers.Select(byController.GetValueOrDefault).FirstOrDefault(s => s is not null) ?? everywhere;
            return sub is null ? h.HostDirectory : Path.Combine(h.HostDirectory, sub);
        }
        string[] targets = hierarchies.Select(TargetOf).ToArray();
        foreach (string dir in targets)
            if (!Directory.Exists(dir)) throw new RuntimeException($"--cgroup: {dir} does not exist");
        return pid =>
        {
            foreach (string dir in targets)
            {
                try { File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid.ToString()); }
                catch (IOException e) { throw new RuntimeException($"--cgroup: adding pid {pid} to {dir}: {ErrorText.Describe(e)}", e); }
            }
        };
    }
}
