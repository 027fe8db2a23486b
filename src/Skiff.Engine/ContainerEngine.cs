using System.Text.Json;
using Skiff.Engine.Config;
using Skiff.Engine.Containers;
using Skiff.Engine.Events;
using Skiff.Engine.Health;
using Skiff.Engine.Monitor;
using Skiff.Engine.Naming;
using Skiff.Engine.Runtime;
using Skiff.Engine.Spec;
using Skiff.Engine.Store;
using Skiff.Engine.Volumes;
using Skiff.Images;
using Skiff.Images.Fs;
using Skiff.Images.Mounts;
using Skiff.Images.Store;
using Skiff.Linux;

namespace Skiff.Engine;

public sealed class EngineOptions
{
    public string Root { get; init; } = StoreLayout.DefaultRoot;
    public string? ConfigPath { get; init; }
    /// <summary>This program, which conmon calls back as the exit command; null: the running executable.</summary>
    public string? SelfPath { get; init; }
}

/// <summary>
/// The container engine: every container verb over the database, the image store, conmon and the
/// OCI runtime. Each mutating verb holds the container's lock (an flock, so a killed skiff never
/// leaves it held) and leaves the record consistent with what exists at every step.
/// </summary>
public sealed partial class ContainerEngine : IDisposable
{
    private readonly EngineOptions _options;

    public ContainerEngine(EngineOptions options, ImageService images)
    {
        _options = options;
        Images = images;
        Layout = new EngineLayout(options.Root);
        Layout.EnsureCreated();
        Config = EngineConfig.Load(options.ConfigPath);
        Database = new EngineDatabase(Layout.Database);
        Volumes = new VolumeStore(Layout, Database);
        Events = new EventLog(Layout.Root);
        Networking = new Network.ContainerNetworking(Layout, Database, Config);
    }

    public Network.ContainerNetworking Networking { get; }

    public ImageService Images { get; }
    public EngineLayout Layout { get; }
    public EngineConfig Config { get; }
    public EngineDatabase Database { get; }
    public EventLog Events { get; }

    /// <summary>Records a container event (Docker's actions: create, start, die, stop, kill, pause, unpause, destroy, rename, health_status).</summary>
    public void Emit(ContainerRecord record, string action, params (string Key, string Value)[] attributes)
    {
        EngineEvent entry = new() { Action = action, ID = record.Id, Name = record.Name, Image = record.Request.Image };
        entry.Attributes["name"] = record.Name;
        entry.Attributes["image"] = record.Request.Image;
        foreach (KeyValuePair<string, string> label in record.Request.Labels) entry.Attributes[label.Key] = label.Value;
        foreach ((string key, string value) in attributes) entry.Attributes[key] = value;
        Events.Append(entry);
    }
    public VolumeStore Volumes { get; }

    public ContainerRecord Resolve(string reference) => Refresh(Database.Resolve(reference));

    public List<ContainerRecord> List() => [.. Database.List().Select(Refresh)];

    /// <summary>Creates a container (its record, writable layer and bundle directory) without starting it.</summary>
    public ContainerRecord Create(ContainerRequest request, string? name)
    {
        ImageRootfs image = Images.GetRootfs(request.Image);
        SpecGenerator.Command(request, image.Config.Config);
        foreach (MountRequest mount in request.Mounts.Where(m => m.Type == "bind"))
            if (!Path.Exists(mount.Source))
                throw new EngineException($"invalid mount config for type \"bind\": bind source path does not exist: {mount.Source}");
        string runtime = Config.ResolveRuntime(request.Runtime);
        // A shared namespace names its container by full id, so a later rename or a new container
        // taking the name cannot redirect it.
        request.PidMode = SharedWith(request.PidMode);
        request.IpcMode = SharedWith(request.IpcMode);
        if (name is not null && !NamePattern().IsMatch(name))
            throw new EngineException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        List<PlannedVolume> volumes = Volumes.Plan(request, image.Config.Config);

        ContainerRecord record = new()
        {
            Id = NameGenerator.NewId(),
            ImageId = image.Image.Id,
            Created = DateTimeOffset.UtcNow,
            Request = request,
            RuntimePath = runtime,
        };
        for (int attempt = 0; ; attempt++)
        {
            record.Name = name ?? NameGenerator.Next(attempt);
            try
            {
                Database.Insert(record);
                break;
            }
            catch (EngineException) when (name is null && attempt < 10) { }
        }
        try
        {
            Directory.CreateDirectory(Layout.Bundle(record.Id), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Images.PrepareContainer(record.Id, image.Image.Id);
            Volumes.Attach(record.Id, volumes);
            Networking.Attach(record);
            Database.UpdateRequest(record);
        }
        catch
        {
            RemoveFiles(record);
            Database.Delete(record.Id);
            Volumes.Detach(record.Id, removeAnonymous: true);
            throw;
        }
        Emit(record, "create");
        return record;
    }

    /// <summary>
    /// Starts a created or exited container: mounts its rootfs, writes its config, has conmon create
    /// it, lets <paramref name="beforeStart"/> attach, then starts it. A failure leaves it exited with
    /// the error recorded and nothing mounted.
    /// </summary>
    public ContainerRecord Start(string reference, Action<ContainerRecord>? beforeStart = null)
    {
        ContainerRecord record = Database.Resolve(reference);
        using ContainerLock guard = LockOf(record.Id);
        record = Refresh(Database.Find(record.Id) ?? throw new NoSuchContainerException(reference));
        if (record.State.Status is ContainerStatus.Running or ContainerStatus.Paused) return record;
        // The user's start begins the restart policy's count and backoff again (Docker's).
        record.State.RestartCount = 0;
        record.State.QuickRestarts = 0;
        return StartLocked(record, beforeStart);
    }

    private ContainerRecord StartLocked(ContainerRecord record, Action<ContainerRecord>? beforeStart)
    {
        OciRuntimeClient runtime = Runtime(record);
        Network.NetworkWiring? network = null;
        // What the start was doing, for a failure that does not say it (.NET's I/O errors name no
        // file in this build, only a resource key).
        string doing = "tearing down its last run";
        try
        {
            // The record says whether anything of a run is left: Cleanup's teardown before a
            // restart leaves nothing, so the restart tears down nothing again.
            if (record.State.Mounted) TearDown(record, runtime);
            doing = "reading its image";
            ImageRootfs image = Images.GetRootfs(record.ImageId);
            string rootfs = Layout.Rootfs(record.Id);
            doing = $"mounting its root file system on {rootfs}";
            Directory.CreateDirectory(rootfs);
            OverlayMount overlay = Images.PrepareContainer(record.Id, record.ImageId);
            // Recorded before the mount: a skiff killed right after it leaves a record that says
            // to unmount. "Created" with no pid, whatever the last run left: a skiff killed from
            // here to the recorded start leaves a record that Refresh reads through the runtime
            // (an exited container whose start went on without us runs, and must show so).
            record.State.Mounted = true;
            record.State.Status = ContainerStatus.Created;
            record.State.Pid = 0;
            record.State.PidStartTime = 0;
            Database.UpdateState(record);
            overlay.Mount(rootfs);

            string bundle = Layout.Bundle(record.Id);
            doing = $"writing its hosts, hostname and resolv.conf in {bundle}";
            ContainerFiles files = ContainerFilesWriter.Write(bundle, SpecGenerator.Hostname(record));
            doing = "preparing its volumes";
            List<VolumeBind> volumes = Volumes.Prepare(record.Id, rootfs);
            Dictionary<string, string> joined = JoinedNamespaces(record);
            doing = "setting up its network";
            network = Networking.Start(record, files, image.Config.Config?.ExposedPorts?.Keys);
            if (network.Netns is { } netns) joined["network"] = netns;
            doing = "generating its config.json";
            Skiff.Oci.Runtime.Spec spec = new SpecGenerator(Config) { Volumes = volumes, JoinedNamespaces = joined }.Generate(record, image.Config.Config, rootfs, files);
            doing = $"writing {Path.Combine(bundle, "config.json")}";
            WriteConfig(record, spec);
            doing = $"removing its last exit's files from {bundle} and {Layout.Exits}";
            File.Delete(Layout.ExitFile(record.Id));
            File.Delete(Path.Combine(bundle, "oom"));

            doing = "starting its monitor (conmon)";
            Conmon conmon = new(Config, Layout, ExitCommand(record), SelfCommand());
            record.State.Pid = conmon.Create(record, runtime);
            record.State.PidStartTime = HostProcess.StartTime(record.State.Pid);
            record.State.ConmonPid = ReadPid(Layout.ConmonPidFile(record.Id));
            doing = "setting up its network";
            network.Complete();
            doing = "attaching to it";
            beforeStart?.Invoke(record);
            doing = "starting it";
            runtime.Start(record.Id);
            record.State.Status = ContainerStatus.Running;
            record.State.StartedAt = DateTimeOffset.UtcNow;
            record.State.FinishedAt = null;
            record.State.ExitCode = 0;
            record.State.OomKilled = false;
            record.State.StoppedByUser = false;
            record.State.Error = "";
            HealthCheckConfig? health = HealthChecker.ConfigOf(record.Request, image.Config.Config?.Healthcheck);
            record.State.Health = health is null ? null : new HealthState();
            doing = "recording its start";
            Database.UpdateState(record);
            doing = "starting its health check monitor";
            if (health is not null) StartHealthMonitor(record);
        }
        catch (Exception e)
        {
            EngineException error = StartFailed(record, runtime, network, e, doing);
            if (ReferenceEquals(error, e)) throw;
            throw error;
        }
        Emit(record, "start");
        return record;
    }

    /// <summary>
    /// A start that failed, whatever the failure: undoes what the start made (the network setup,
    /// if under way, is let finish first), records the error, and returns what to throw.
    /// </summary>
    private EngineException StartFailed(ContainerRecord record, OciRuntimeClient runtime, Network.NetworkWiring? network, Exception failure, string doing)
    {
        EngineException error = failure as EngineException
            ?? new EngineException($"cannot start container {record.Name}: {(failure is ImageException ? failure.Message : $"{doing}: {Reason(failure)}")}", EngineException.EngineError, failure);
        string message = error.Message;
        try
        {
            network?.Settle();
            TearDown(record, runtime);
        }
        catch (Exception teardown)
        {
            // The record stays mounted, so the next start or rm tears down again.
            message += $"; tearing it down failed too: {(teardown is EngineException or ImageException ? teardown.Message : Reason(teardown))}";
        }
        record.State.Status = ContainerStatus.Exited;
        // Docker's codes for a start that failed: the command's 127 (not found) and 126 (cannot be
        // invoked) are kept, anything else is 128.
        record.State.ExitCode = error.ExitCode is EngineException.NotFound or EngineException.CannotInvoke ? error.ExitCode : 128;
        record.State.Error = message;
        record.State.Pid = 0;
        record.State.PidStartTime = 0;
        record.State.FinishedAt = DateTimeOffset.UtcNow;
        Database.UpdateState(record);
        return message == error.Message ? error : new EngineException(message, error.ExitCode, failure);
    }

    /// <summary>Why a file system call failed, in the kernel's words (errno), or the exception's own message.</summary>
    private static string Reason(Exception e) => FileError.Reason(e) ?? e.Message;

    private string? SharedWith(string? mode)
    {
        if (mode is null || !mode.StartsWith("container:", StringComparison.Ordinal)) return mode;
        try
        {
            return "container:" + Database.Resolve(mode[10..]).Id;
        }
        catch (NoSuchContainerException e)
        {
            throw new EngineException(e.Message);
        }
    }

    /// <summary>--pid/--ipc container:X: the namespaces of X's running init, which must be running now.</summary>
    private Dictionary<string, string> JoinedNamespaces(ContainerRecord record)
    {
        Dictionary<string, string> joined = [];
        foreach ((NamespaceKind kind, string? mode) in (ReadOnlySpan<(NamespaceKind, string?)>)[(NamespaceKind.Pid, record.Request.PidMode), (NamespaceKind.Ipc, record.Request.IpcMode)])
        {
            if (mode is null || !mode.StartsWith("container:", StringComparison.Ordinal)) continue;
            ContainerRecord other = Refresh(Database.Resolve(mode[10..]));
            if (other.State.Status != ContainerStatus.Running || !ProcessAlive(other.State))
                throw new EngineException($"cannot join {kind.OciType.ToUpperInvariant()} namespace of a non running container {other.Name}");
            joined[kind.OciType] = kind.ProcPath(other.State.Pid);
        }
        return joined;
    }

    /// <summary>The image's HEALTHCHECK, if the image is still there.</summary>
    public Skiff.Images.Oci.HealthConfig? ImageHealthcheck(ContainerRecord record)
    {
        try
        {
            return Images.GetRootfs(record.ImageId).Config.Config?.Healthcheck;
        }
        catch (ImageException)
        {
            return null;
        }
    }

    /// <summary>Changes the health record under the container's lock (checks and verbs write the same row).</summary>
    public void UpdateHealth(string id, Action<HealthState> change)
    {
        using ContainerLock guard = LockOf(id);
        if (Database.Find(id) is not { } record) return;
        record.State.Health ??= new HealthState();
        string before = record.State.Health.Status;
        change(record.State.Health);
        Database.UpdateState(record);
        if (record.State.Health.Status != before) Emit(record, "health_status", ("health_status", record.State.Health.Status));
    }

    private void StartHealthMonitor(ContainerRecord record)
    {
        List<string> command = SelfCommand();
        command.AddRange(["container", "healthcheck-monitor", record.Id]);
        ProcessSpawner.Spawn(command[0], command, Skiff.Linux.ProcessSpawn.CurrentEnvironment(), [], "/dev/null", newSession: true);
    }

    /// <summary>
    /// What conmon's exit command runs once the container's process has exited: record the exit
    /// code, delete the runtime's container, unmount, then apply the restart policy or --rm.
    /// Idempotent, and harmless when the container still runs.
    /// </summary>
    public void Cleanup(string id)
    {
        ContainerRecord? record = Database.Find(id);
        if (record is null) return;
        bool remove;
        using (ContainerLock guard = LockOf(id))
        {
            record = Database.Find(id);
            if (record is null) return;
            if (!SettleExit(record, Runtime(record))) return;
            remove = record.Request.AutoRemove;
            if (RestartPolicyApplies(record))
            {
                // Docker's backoff starts again after a run of 10 s or more.
                if (record.State.FinishedAt - record.State.StartedAt >= TimeSpan.FromSeconds(10)) record.State.QuickRestarts = 0;
                record.State.Status = ContainerStatus.Restarting;
                Database.UpdateState(record);
            }
        }
        if (record.State.Status == ContainerStatus.Restarting) RestartAfterBackoff(id, RestartDelay(record.State.QuickRestarts));
        else if (remove) Remove(id, force: true, volumes: true);
    }

    /// <summary>
    /// The restart policy's next run, after its backoff, slept without the container's lock: stop,
    /// kill and rm of a restarting container act at once, and one that comes first (no longer
    /// "Restarting", or marked stopped by the user) ends the restart.
    /// </summary>
    private void RestartAfterBackoff(string id, TimeSpan delay)
    {
        Thread.Sleep(delay);
        using ContainerLock guard = LockOf(id);
        if (Database.Find(id) is not { State.Status: ContainerStatus.Restarting } record) return;
        if (record.State.StoppedByUser)
        {
            record.State.Status = ContainerStatus.Exited;
            Database.UpdateState(record);
            return;
        }
        record.State.RestartCount++;
        record.State.QuickRestarts++;
        Database.UpdateState(record);
        try
        {
            StartLocked(record, null);
        }
        catch (EngineException) { }
    }

    /// <summary>
    /// Under the container's lock: records the run's exit (its code, OOM, the die event) and tears
    /// it down. False, with nothing done, when the container still runs.
    /// </summary>
    private bool SettleExit(ContainerRecord record, OciRuntimeClient runtime)
    {
        string id = record.Id;
        bool exited = File.Exists(Layout.ExitFile(id)) || runtime.Status(id) is null or "stopped";
        if (!exited) return false;
        bool died = record.State.Status is not (ContainerStatus.Exited or ContainerStatus.Created) || (record.State.Status == ContainerStatus.Created && File.Exists(Layout.ExitFile(id)));
        RecordExit(record);
        if (died) Emit(record, "die", ("exitCode", record.State.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        try
        {
            TearDown(record, runtime);
        }
        catch (Exception e)
        {
            // The exit stands even when what it leaves cannot be undone now: the record keeps
            // the exit code and says why (conmon's log is no place a user looks), stays mounted
            // for the next verb's teardown, and is not restarted on top of what is left.
            record.State.Error = $"tearing down after the exit: {e.Message}";
            Database.UpdateState(record);
            throw;
        }
        Database.UpdateState(record);
        return true;
    }

    /// <summary>Signals the container's process; SIGKILL through runc's kill so it also reaches a paused container.</summary>
    public void Kill(string reference, string signal)
    {
        bool restarting = Database.Resolve(reference).State.Status == ContainerStatus.Restarting;
        ContainerRecord record = MarkStoppedByUser(reference);
        if (restarting && record.State.Status == ContainerStatus.Exited) return;
        if (record.State.Status is not (ContainerStatus.Running or ContainerStatus.Paused))
            throw new EngineException($"cannot kill container: {reference}: container {record.Id} is not running", 1);
        if (!Runtime(record).Kill(record.Id, signal))
            throw new EngineException($"cannot kill container: {reference}: the runtime could not send {signal}", 1);
        Emit(record, "kill", ("signal", signal));
    }

    /// <summary>
    /// Docker's stop: <paramref name="signal"/> (stop -s), else the container's stop signal, up to
    /// <paramref name="timeout"/> seconds of grace, then SIGKILL.
    /// </summary>
    public ContainerRecord Stop(string reference, int? timeout, string? signal = null)
    {
        ContainerRecord record = MarkStoppedByUser(reference);
        if (record.State.Status is not (ContainerStatus.Running or ContainerStatus.Paused)) return record;
        using CleanupOwner owner = CleanupOwner.Claim(Layout, record.Id);
        Halt(record, timeout, signal);
        Cleanup(record.Id);
        Emit(record, "stop");
        return Database.Find(record.Id) ?? record;
    }

    /// <summary>
    /// Docker's restart: the container stopped as by <see cref="Stop"/>, then started again. The
    /// cleanup is claimed from before the kill through the new start, so the exit command finds
    /// the container running again: --rm does not remove it, nor does the restart policy start it.
    /// </summary>
    public ContainerRecord Restart(string reference, int? timeout, string? signal)
    {
        ContainerRecord record = Database.Resolve(reference);
        using CleanupOwner owner = CleanupOwner.Claim(Layout, record.Id);
        record = MarkStoppedByUser(record.Id);
        if (record.State.Status is ContainerStatus.Running or ContainerStatus.Paused)
        {
            Halt(record, timeout, signal);
            Emit(record, "stop");
        }
        using ContainerLock guard = LockOf(record.Id);
        record = Database.Find(record.Id) ?? throw new NoSuchContainerException(reference);
        if (record.State.Status is ContainerStatus.Running or ContainerStatus.Paused && !SettleExit(record, Runtime(record)))
            throw new EngineException($"cannot restart container {reference}: its process did not stop", 1);
        record = StartLocked(record, null);
        Emit(record, "restart");
        return record;
    }

    /// <summary>Ends the container's process: the stop signal and its grace (none for a paused container), then SIGKILL; returns once it is gone.</summary>
    private void Halt(ContainerRecord record, int? timeout, string? signal)
    {
        OciRuntimeClient runtime = Runtime(record);
        int grace = timeout ?? record.Request.StopTimeout ?? 10;
        signal ??= record.Request.StopSignal ?? Images.GetRootfs(record.ImageId).Config.Config?.StopSignal ?? "SIGTERM";
        if (record.State.Status == ContainerStatus.Paused) runtime.Kill(record.Id, "KILL", all: true);
        else if (grace > 0 && runtime.Kill(record.Id, signal) && WaitForExit(record, TimeSpan.FromSeconds(grace))) { }
        else runtime.Kill(record.Id, "KILL", all: true);
        WaitForExit(record, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Records that the user ended this run, under the container's lock: a cleanup restarting the
    /// container at the same moment either finishes first (and this sees the new run) or sees the mark.
    /// </summary>
    private ContainerRecord MarkStoppedByUser(string reference)
    {
        ContainerRecord record = Database.Resolve(reference);
        using ContainerLock guard = LockOf(record.Id);
        record = Refresh(Database.Find(record.Id) ?? throw new NoSuchContainerException(reference));
        record.State.StoppedByUser = true;
        // Between runs nothing runs: the backoff's sleeper finds it exited and starts nothing.
        if (record.State.Status == ContainerStatus.Restarting) record.State.Status = ContainerStatus.Exited;
        Database.UpdateState(record);
        return record;
    }

    /// <summary>Removes a container: a running one only with <paramref name="force"/> (SIGKILL first).</summary>
    public void Remove(string reference, bool force, bool volumes)
    {
        ContainerRecord record = Database.Resolve(reference);
        using CleanupOwner owner = CleanupOwner.Claim(Layout, record.Id);
        using ContainerLock guard = LockOf(record.Id);
        if (Database.Find(record.Id) is not { } current) return;
        bool wasRunning = current.State.Status is ContainerStatus.Running or ContainerStatus.Paused;
        record = Refresh(current);
        OciRuntimeClient runtime = Runtime(record);
        if (record.State.Status == ContainerStatus.Restarting && !force)
            throw new EngineException($"cannot remove container \"/{record.Name}\": container is restarting: stop the container before removing or force remove", 1);
        if (record.State.Status is ContainerStatus.Running or ContainerStatus.Paused)
        {
            if (!force)
                throw new EngineException($"cannot remove container \"/{record.Name}\": container is {record.State.Status.ToString().ToLowerInvariant()}: stop the container before removing or force remove", 1);
            record.State.StoppedByUser = true;
            runtime.Kill(record.Id, "KILL", all: true);
            WaitForExit(record, TimeSpan.FromSeconds(10));
        }
        if (wasRunning) Emit(record, "die", ("exitCode", (ReadExitFile(record.Id) ?? 137).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        record.State.Status = ContainerStatus.Removing;
        Database.UpdateState(record);
        TearDownForRemoval(record, runtime);
        RemoveFiles(record);
        Database.Delete(record.Id);
        Emit(record, "destroy");
        Volumes.Detach(record.Id, removeAnonymous: volumes);
        Networking.Forget(record.Id);
        // The lock and claim files go as the lock and the claim are released: the bundle is gone.
        if (ConmonCgroup.PathUnder(record.Request.CgroupParent ?? Config.CgroupParent) is { } monitors) ConmonCgroup.RemoveIfUnused(monitors);
    }

    /// <summary>
    /// Blocks until the container's run ends and returns that run's exit code (Docker's wait: the
    /// first exit, whatever the restart policy or --rm does next).
    /// </summary>
    public int Wait(string reference)
    {
        ContainerRecord record = Database.Resolve(reference);
        if (record.State.Status is not (ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting)) return record.State.ExitCode;
        // Claimed, so the exit command neither removes the exit file (--rm) nor starts the next
        // run before the exit is read here.
        using CleanupOwner owner = CleanupOwner.Claim(Layout, record.Id);
        WaitForExit(record, Timeout.InfiniteTimeSpan);
        int? exit = ReadExitFile(record.Id);
        if (Database.Find(record.Id) is not { } now) return exit ?? 137;
        now.State.ExitCode = exit ?? now.State.ExitCode;
        // A container that ends for good is settled before wait returns, so what the user sees
        // next is its final state; a restart (and its backoff) is left to the exit command.
        if (!RestartPolicyApplies(now)) Cleanup(record.Id);
        return exit ?? (Database.Find(record.Id) is { } settled ? settled.State.ExitCode : 137);
    }

    /// <summary>The exit file conmon writes once the container's process has exited, if it has.</summary>
    public int? ReadExitFile(string id) =>
        File.Exists(Layout.ExitFile(id)) && int.TryParse(File.ReadAllText(Layout.ExitFile(id)).Trim(), out int code) ? code : null;

    /// <summary>
    /// Waits for conmon's exit file (the container's process is gone and its output drained), or,
    /// when conmon died without writing one, for the process itself to be gone. False when
    /// <paramref name="timeout"/> passes first.
    /// </summary>
    public bool WaitForExit(ContainerRecord record, TimeSpan timeout)
    {
        DateTime deadline = timeout == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + timeout;
        string exitFile = Layout.ExitFile(record.Id);
        using ExitWatch watch = new(Layout.Exits);
        while (!File.Exists(exitFile))
        {
            // A monitor that died leaves nobody to write the exit file, nor to tell us of the
            // exit: the process is polled (the watch's wait below is the interval).
            if (record.State.ConmonPid > 0 && !Alive(record.State.ConmonPid) && !File.Exists(exitFile) && !ProcessAlive(record.State)) return true;
            if (DateTime.UtcNow >= deadline) return false;
            watch.Wait((int)Math.Clamp((deadline - DateTime.UtcNow).TotalMilliseconds, 1, 100));
        }
        return true;
    }

    public OciRuntimeClient Runtime(ContainerRecord record) => new(record.RuntimePath, Layout.RuntimeRoot);

    /// <summary>
    /// A record that says running while its monitor and process are gone (a killed conmon, a
    /// reboot) is reported as exited; the next mutating verb cleans what is left.
    /// </summary>
    private ContainerRecord Refresh(ContainerRecord record)
    {
        if (record.State.Status == ContainerStatus.Created && record.State.Mounted) InterruptedStart(record);
        if (record.State.Status is not (ContainerStatus.Running or ContainerStatus.Paused)) return record;
        if (File.Exists(Layout.ExitFile(record.Id)) || (!ProcessAlive(record.State) && !Alive(record.State.ConmonPid)))
        {
            RecordExit(record);
        }
        return record;
    }

    private void RecordExit(ContainerRecord record)
    {
        if (record.State.Status is ContainerStatus.Exited) return;
        if (record.State.Status is ContainerStatus.Created && !File.Exists(Layout.ExitFile(record.Id))) return;
        record.State.Status = ContainerStatus.Exited;
        record.State.ExitCode = ReadExitFile(record.Id) ?? 137;
        record.State.OomKilled = File.Exists(Path.Combine(Layout.Bundle(record.Id), "oom"));
        record.State.FinishedAt = File.Exists(Layout.ExitFile(record.Id)) ? File.GetLastWriteTimeUtc(Layout.ExitFile(record.Id)) : DateTimeOffset.UtcNow;
        record.State.Pid = 0;
        record.State.PidStartTime = 0;
        if (!File.Exists(Layout.ExitFile(record.Id))) record.State.Error = "the container's monitor exited without recording an exit code";
    }

    private static bool RestartPolicyApplies(ContainerRecord record)
    {
        if (record.State.StoppedByUser || record.Request.AutoRemove) return false;
        RestartPolicy policy = record.Request.RestartPolicy;
        return policy.Name switch
        {
            "always" or "unless-stopped" => true,
            "on-failure" => record.State.ExitCode != 0 && (policy.MaximumRetryCount == 0 || record.State.RestartCount < policy.MaximumRetryCount),
            _ => false,
        };
    }

    /// <summary>Docker's backoff: 100 ms, doubling with each restart, at most a minute.</summary>
    private static TimeSpan RestartDelay(int restarts) => TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, Math.Min(restarts, 10)), 60_000));

    /// <summary>Removes the runtime's container and unmounts the rootfs, whatever of them exists.</summary>
    private void TearDown(ContainerRecord record, OciRuntimeClient runtime)
    {
        // The mount is recorded before conmon's create, so an unmounted container has no runtime
        // container: a second teardown (rm after the exit command's) starts no runtime.
        if (record.State.Mounted) runtime.Delete(record.Id);
        Networking.Stop(record);
        string rootfs = Layout.Rootfs(record.Id);
        if (Directory.Exists(rootfs)) OverlayMount.Unmount(rootfs);
        Volumes.Release(record.Id);
        record.State.Mounted = false;
    }

    private void RemoveFiles(ContainerRecord record)
    {
        string rootfs = Layout.Rootfs(record.Id);
        if (Directory.Exists(rootfs)) OverlayMount.Unmount(rootfs);
        if (Directory.Exists(Layout.Bundle(record.Id))) ScopedFs.RemoveTree(Layout.Bundle(record.Id));
        Images.RemoveContainer(record.Id);
        File.Delete(Layout.ExitFile(record.Id));
    }

    private void WriteConfig(ContainerRecord record, Skiff.Oci.Runtime.Spec spec)
    {
        AtomicFile.Write(Path.Combine(Layout.Bundle(record.Id), "config.json"), JsonSerializer.SerializeToUtf8Bytes(spec, SpecFileJsonContext.Default.Spec));
    }

    private List<string> ExitCommand(ContainerRecord record)
    {
        List<string> command = SelfCommand();
        command.AddRange(["container", "cleanup", record.Id]);
        return command;
    }

    /// <summary>This skiff with this engine's root and config, for the commands it leaves behind.</summary>
    private List<string> SelfCommand()
    {
        string self = _options.SelfPath ?? Environment.ProcessPath ?? throw new EngineException("cannot tell where the skiff executable is");
        List<string> command = [self, "--root", Layout.Root];
        if (_options.ConfigPath is not null) command.AddRange(["--engine-config", _options.ConfigPath]);
        return command;
    }

    private ContainerLock LockOf(string id) => ContainerLock.Acquire(Layout, id);

    private static int ReadPid(string path) => File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out int pid) ? pid : 0;

    /// <summary>Whether a process exists and is not a zombie (an orphaned container process may never be reaped).</summary>
    public static bool Alive(int pid) => HostProcess.Alive(pid);

    /// <summary>Whether the container's process still runs: its pid alive with the start time recorded for it (a reused pid is another process).</summary>
    internal static bool ProcessAlive(ContainerState state) => HostProcess.Alive(state.Pid, state.PidStartTime);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial System.Text.RegularExpressions.Regex NamePattern();

    public void Dispose() => Database.Dispose();
}
