using Skiff.Cgroups;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Lifecycle;

namespace Skiff.Runtime.Launch;

/// <summary>
/// The parent's half of a launch: clones the child over a lowered plan, answers its requests (id
/// maps, cgroup placement, runtime hooks) and returns once the child waits for start. On any
/// failure the child is killed before the error leaves this type, so nothing is left running.
/// </summary>
internal sealed unsafe partial class LaunchSession : IDisposable
{
    private readonly LaunchPlan _plan;
    private readonly Spec _spec;
    private readonly ICgroup _cgroup;
    private readonly int _parentSocket;
    private readonly int _stateFd;
    private readonly Func<Oci.Runtime.State> _stateFor;
    private int _directChild;
    private bool _bornInCgroup;

    /// <summary>Where the child goes instead of the whole cgroup (exec --cgroup names a sub-cgroup).</summary>
    public Action<int>? Placement { get; init; }

    /// <summary>The pid of the container's process (the direct child, or the one it forked).</summary>
    public int Pid { get; private set; }

    public LaunchSession(LaunchPlan plan, Spec spec, ICgroup cgroup, int parentSocket, int stateFd, Func<Oci.Runtime.State> stateFor)
    {
        _plan = plan;
        _spec = spec;
        _cgroup = cgroup;
        _parentSocket = parentSocket;
        _stateFd = stateFd;
        _stateFor = stateFor;
    }

    /// <summary>Clones the child and drives it to the point where it waits for start; takes ownership of childSocket.</summary>
    public void Start(int childSocket, Action<int> onCloned)
    {
        using (var native = new NativePlan(_plan.Steps, childSocket))
        {
            try { _directChild = Pid = CloneGuard.Clone(_plan.CloneFlags, native.Context, _parentSocket, Placement is null ? _cgroup.UnifiedDirectory : null, out _bornInCgroup); }
            // Our copy of the child's end must go, or the child's exec (which closes its copy) is never seen as EOF.
            finally { Interop.Libc.Close(childSocket); }
        }
        onCloned(Pid);
        var protocol = new SyncProtocol();
        while (true)
        {
            SyncMessage message = Receive();
            protocol.Accept(message.Kind);
            switch (message.Kind)
            {
                case SyncKind.NeedSetup:
                    Setup();
                    Reply();
                    break;
                case SyncKind.Pid:
                    Pid = message.Value;
                    Reap(_directChild);
                    onCloned(Pid);
                    break;
                case SyncKind.NeedRuntimeHooks:
                    WriteState();
                    // prestart runs once the runtime environment exists, so it sees "created" (the
                    // spec's lifecycle, crun, and runtime-tools' hooks_stdin check); createRuntime
                    // keeps the "creating" runc gives it.
                    Oci.Runtime.State prestart = _stateFor();
                    prestart.Status = ContainerStatus.Created;
                    HookRunner.RunAll(_spec.Hooks?.Prestart, "prestart", prestart);
                    HookRunner.RunAll(_spec.Hooks?.CreateRuntime, "createRuntime", _stateFor());
                    Reply();
                    break;
                case SyncKind.Ready:
                    return;
                case SyncKind.SeccompListener:
                    HandOverSeccompListener(message);
                    break;
                case SyncKind.CopyUp:
                    CopyUp(message);
                    Reply();
                    break;
                case SyncKind.Failed:
                    throw new RuntimeException(Describe(message));
                default:
                    throw new RuntimeException($"container init sent an unknown message {(int)message.Kind}");
            }
        }
    }

    /// <summary>tmpcopyup: the child holds the hidden directory (Value) and the new mount (Errno) open for us.</summary>
    private void CopyUp(SyncMessage message)
    {
        string what = message.Step >= 0 && message.Step < _plan.Steps.Count ? _plan.Steps[message.Step].Description : "tmpcopyup";
        try { Mounts.TmpCopyUp.Copy($"/proc/{Pid}/fd/{message.Value}", $"/proc/{Pid}/fd/{message.Errno}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SystemCallException)
        {
            throw new RuntimeException($"unable to start container process: {what}: {ErrorText.Describe(e)}", e);
        }
    }

    /// <summary>Releases a child started with the sync socket as its start signal; returns once it has exec'd.</summary>
    public void Release()
    {
        Reply();
        SyncMessage message;
        nint n = Interop.Libc.Read(_parentSocket, (byte*)&message, sizeof(SyncMessage));
        if (n == sizeof(SyncMessage) && message.Kind == SyncKind.Failed) throw new RuntimeException(Describe(message));
        if (n == 0 && DiedBeforeExec())
            throw new RuntimeException(OomKilled() ? OomMessage() : "container init died before the process started");
    }

    /// <summary>
    /// EOF on the sync socket is the exec (close-on-exec) or the init's death. A dead init (a
    /// zombie: the runner reaps it later) that still bears the runtime's name never exec'd: an OOM
    /// kill of the init would otherwise pass for the workload's.
    /// </summary>
    private bool DiedBeforeExec()
    {
        string self = File.ReadAllText("/proc/self/comm").Trim();
        for (int i = 0; i < 200; i++)
        {
            string stat;
            try { stat = File.ReadAllText($"/proc/{Pid}/stat"); }
            catch (IOException) { return false; }
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            if (open < 0 || close < open || stat[(open + 1)..close] != self) return false;
            if (close + 2 < stat.Length && stat[close + 2] == 'Z') return true;
            Thread.Sleep(1);
        }
        return false;
    }

    private bool OomKilled()
    {
        try { return _cgroup.OomKillCount() > 0; }
        catch (CgroupException) { return false; }
    }

    private string OomMessage() =>
        "container init was killed by the OOM killer before the process started" +
        (_spec.Linux?.Resources?.Memory?.Limit is long limit ? $" (linux.resources.memory.limit {limit} is too low for it)" : "");

    /// <summary>Kills what this launch started, for the error path.</summary>
    public void Abort()
    {
        // The init the child forked (a new pid namespace's) and the child itself, each once.
        foreach (int pid in (ReadOnlySpan<int>)[Pid, _directChild == Pid ? 0 : _directChild])
        {
            if (pid <= 0) continue;
            Interop.Libc.Kill(pid, Signal.SIGKILL);
            Reap(pid);
        }
    }

    public void Dispose()
    {
        CloseReceivedFd();
        Interop.Libc.Close(_parentSocket);
    }

    private SyncMessage Receive()
    {
        SyncMessage message;
        nint n;
        do n = ReadMessage(&message);
        while (n < 0 && Errno.Last == Errno.EINTR);
        if (n == sizeof(SyncMessage)) return message;
        int status = Reap(Pid);
        var exit = new WaitStatus(status);
        if (status >= 0 && !exit.Exited && exit.TermSignal == Signal.SIGKILL && OomKilled()) throw new RuntimeException(OomMessage());
        string how = status < 0 ? "" : exit.Exited ? $" with exit status {exit.ExitStatus}" : $" by signal {exit.TermSignal}";
        throw new RuntimeException($"container init exited{how} before it was ready");
    }

    private void Reply()
    {
        SyncMessage go = new() { Kind = SyncKind.Go };
        if (Interop.Libc.Write(_parentSocket, (byte*)&go, sizeof(SyncMessage)) != sizeof(SyncMessage))
            throw SystemCallException.Last("signalling container init");
    }

    /// <summary>What only the parent can do for the child: id maps (written from outside the user namespace), cgroup, OOM score.</summary>
    private void Setup()
    {
        Oci.Runtime.Linux? linux = _spec.Linux;
        if (_plan.NewUserNamespace)
        {
            WriteProc(Pid, "uid_map", Mappings(linux!.UidMappings!));
            WriteProc(Pid, "gid_map", Mappings(linux.GidMappings!));
        }
        try
        {
            if (Placement is { } place) place(Pid);
            else if (_bornInCgroup) _cgroup.AddProcessBesidesUnified(Pid);
            else _cgroup.AddProcess(Pid);
        }
        catch (CgroupException e) { throw new RuntimeException(e.Message, e); }
        if (_spec.Process?.OomScoreAdj is int score) WriteProc(Pid, "oom_score_adj", score.ToString());
    }

    private static string Mappings(IEnumerable<IdMapping> mappings) =>
        string.Concat(mappings.Select(m => $"{m.ContainerId} {m.HostId} {m.Size}\n"));

    private static void WriteProc(int pid, string file, string content)
    {
        string path = $"/proc/{pid}/{file}";
        try { File.WriteAllText(path, content); }
        catch (IOException e) { throw new RuntimeException($"writing {path}: {ErrorText.Describe(e)}", e); }
    }

    /// <summary>The state the in-container hooks read on stdin, in the memfd they share.</summary>
    private void WriteState()
    {
        byte[] json = System.Text.Encoding.UTF8.GetBytes(_stateFor().ToJson(indented: true));
        Interop.Libc.Syscall(Syscall.Lseek, _stateFd, 0, 0, 0, 0, 0);
        fixed (byte* p = json)
            if (Interop.Libc.Write(_stateFd, p, json.Length) != json.Length) throw SystemCallException.Last("writing hook state");
    }

    private string Describe(SyncMessage message)
    {
        string step = message.Step >= 0 && message.Step < _plan.Steps.Count ? _plan.Steps[message.Step].Description : $"step {message.Step}";
        Step? failed = message.Step >= 0 && message.Step < _plan.Steps.Count ? _plan.Steps[message.Step] : null;
        if (failed?.Kind == StepKind.RunHook)
        {
            int status = message.Value;
            string how = message.Errno == Kernel.ETIMEDOUT ? "timed out and was killed"
                : new WaitStatus(status).ToString();
            return $"{step} failed: {how}";
        }
        if (failed?.Kind is StepKind.ResolveExecutable or StepKind.Exec)
        {
            string name = _plan.ExecutableName;
            string reason = message.Errno == Errno.ENOENT && !name.Contains('/')
                ? "executable file not found in $PATH: no such file or directory"
                : message.Errno == Errno.ENOENT ? $"stat {name}: no such file or directory"
                : Errno.Describe(message.Errno);
            return $"unable to start container process: exec: \"{name}\": {reason}";
        }
        return $"unable to start container process: {step}: {Errno.Describe(message.Errno)}";
    }

    private static int Reap(int pid)
    {
        if (pid <= 0) return -1;
        int status;
        while (Interop.Libc.WaitPid(pid, &status, 0) < 0)
            if (Errno.Last != Errno.EINTR) return -1;
        return status;
    }
}
