using Skiff.Cgroups;
using Skiff.Cgroups.Events;
using Skiff.Cgroups.Stats;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Store;

namespace Skiff.Runtime;

/// <summary>One thing `events` reports: a stats sample, or an OOM kill in the container's cgroup.</summary>
public sealed record ContainerEvent(string Type, CgroupStats? Stats)
{
    public const string StatsType = "stats", OomType = "oom";
}

/// <summary>The verbs that act on a container through its cgroup: pause, resume, update, events, ps, kill --all.</summary>
public sealed partial class ContainerRuntime
{
    // How often a streaming `events` looks whether the container is still there between samples.
    private static readonly TimeSpan LivenessCheck = TimeSpan.FromMilliseconds(200);

    /// <summary>Freezes every process of a created or running container, returning once the kernel reports it frozen.</summary>
    public void Pause(string id)
    {
        using ContainerLock _ = _store.Lock(id);
        ContainerRecord record = LoadExisting(id);
        if (StatusOf(record) is not (ContainerStatus.Running or ContainerStatus.Created))
            throw new RuntimeException("container not running");
        CgroupCall(() => OpenCgroup(record).Freeze());
    }

    public void Resume(string id)
    {
        using ContainerLock _ = _store.Lock(id);
        ContainerRecord record = LoadExisting(id);
        if (StatusOf(record) != ContainerStatus.Paused) throw new RuntimeException("container not paused");
        CgroupCall(() => OpenCgroup(record).Thaw());
    }

    /// <summary>Changes the limits set in <paramref name="resources"/> and leaves the others as they are.</summary>
    public void Update(string id, LinuxResources resources)
    {
        using ContainerLock _ = _store.Lock(id);
        ContainerRecord record = LoadExisting(id);
        if (StatusOf(record) is ContainerStatus.Stopped) throw new RuntimeException("container not running");
        // Read before anything changes, so a container without a stored config fails whole.
        Spec spec = _store.LoadConfig(id);
        CgroupCall(() => OpenCgroup(record).Update(resources));
        // The stored config keeps the limits in force, for later updates and execs (runc keeps them too).
        Oci.Runtime.Linux linux = spec.Linux ??= new Oci.Runtime.Linux();
        linux.Resources = ResourceMerge.Merge(linux.Resources, resources);
        _store.SaveConfig(id, spec);
    }

    /// <summary>One sample of the container's usage and limits (`events --stats`).</summary>
    public CgroupStats Stats(string id)
    {
        ContainerRecord record = RequireNotStopped(id);
        return CgroupCall(() => OpenCgroup(record).Stats());
    }

    /// <summary>
    /// `events`: a stats sample every <paramref name="interval"/> and an OOM event whenever the kernel
    /// reports one, until the container stops (the OOM events that stopped it are reported first).
    /// </summary>
    public IEnumerable<ContainerEvent> Events(string id, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) throw new RuntimeException("duration interval must be greater than 0");
        ContainerRecord record = RequireNotStopped(id);
        ICgroup cgroup = OpenCgroup(record);
        OomWatch watch = CgroupCall(cgroup.WatchOom);
        return Stream(record, cgroup, watch, interval);
    }

    private IEnumerable<ContainerEvent> Stream(ContainerRecord record, ICgroup cgroup, OomWatch watch, TimeSpan interval)
    {
        using OomWatch _ = watch;
        DateTime nextSample = DateTime.UtcNow + interval;
        while (true)
        {
            TimeSpan untilSample = nextSample - DateTime.UtcNow;
            OomWaitResult result = CgroupCall(() => watch.Wait(untilSample < LivenessCheck ? Max(untilSample, TimeSpan.Zero) : LivenessCheck));
            if (result == OomWaitResult.Oom)
            {
                yield return new ContainerEvent(ContainerEvent.OomType, null);
                continue;
            }
            if (result == OomWaitResult.Ended || !ProcessInfo.IsAlive(record.Pid, record.PidStartTime))
            {
                // The OOM kill that ended the container may still sit unread behind its exit.
                while (CgroupCall(() => watch.Wait(TimeSpan.Zero)) == OomWaitResult.Oom)
                    yield return new ContainerEvent(ContainerEvent.OomType, null);
                yield break;
            }
            if (DateTime.UtcNow < nextSample) continue;
            nextSample += interval;
            CgroupStats? stats = null;
            try { stats = cgroup.Stats(); }
            catch (Exception e) when (e is CgroupException or IOException) { Warn?.Invoke($"reading the stats of {record.Id}: {ErrorText.Describe(e)}"); }
            if (stats is not null) yield return new ContainerEvent(ContainerEvent.StatsType, stats);
        }
    }

    /// <summary>Every process in the container's cgroup, sorted (`ps`).</summary>
    public IReadOnlyList<int> Processes(string id)
    {
        ContainerRecord record = LoadExisting(id);
        ICgroup cgroup = OpenCgroup(record);
        return CgroupCall(cgroup.Processes);
    }

    /// <summary>
    /// `kill --all`: the signal to every process in the cgroup, whatever became of the init. The cgroup is
    /// frozen meanwhile so nothing forks past the signal; it is thawed afterwards unless it was paused
    /// before, and always for SIGKILL (a frozen process cannot die).
    /// </summary>
    private void SignalAll(ContainerRecord record, int signal)
    {
        ICgroup cgroup = OpenCgroup(record);
        IReadOnlyList<int> pids;
        try { pids = cgroup.Processes(); }
        catch (CgroupException) when (StatusOf(record) is ContainerStatus.Stopped) { return; } // its cgroup is gone: nothing to signal
        catch (CgroupException e) { throw new RuntimeException(e.Message, e); }
        if (pids.Count == 0) return;

        bool wasFrozen = FrozenOrFalse(cgroup);
        bool froze = false;
        if (!wasFrozen)
        {
            try { cgroup.Freeze(); froze = true; }
            catch (CgroupException e) { Warn?.Invoke($"kill --all: could not freeze {record.Id} first: {e.Message}"); }
        }
        try
        {
            if (froze) pids = CgroupCall(cgroup.Processes);
            foreach (int pid in pids)
                if (Interop.Libc.Kill(pid, signal) != 0 && Errno.Last != Errno.ESRCH)
                    Warn?.Invoke($"kill --all: signal {signal} to pid {pid}: {Errno.Describe(Errno.Last)}");
        }
        finally
        {
            if (froze || (wasFrozen && signal == Signal.SIGKILL)) CgroupCall(cgroup.Thaw);
        }
    }

    /// <summary>A paused container's init cannot act on SIGKILL until thawed; runc thaws it, and so do we.</summary>
    private void ThawAfterKill(ContainerRecord record, int signal)
    {
        if (signal != Signal.SIGKILL) return;
        ICgroup cgroup = OpenCgroup(record);
        if (FrozenOrFalse(cgroup)) CgroupCall(cgroup.Thaw);
    }

    private ContainerRecord RequireNotStopped(string id)
    {
        ContainerRecord record = LoadExisting(id);
        if (StatusOf(record) is ContainerStatus.Stopped) throw new RuntimeException($"container with id {id} is not running");
        return record;
    }

    private static bool FrozenOrFalse(ICgroup cgroup)
    {
        try { return cgroup.IsFrozen(); }
        catch (Exception e) when (e is CgroupException or IOException) { return false; }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static void CgroupCall(Action action) => CgroupCall(() => { action(); return 0; });

    /// <summary>A cgroup failure reaches the user as the runtime's one-line error.</summary>
    private static T CgroupCall<T>(Func<T> call)
    {
        try { return call(); }
        catch (CgroupException e) { throw new RuntimeException(e.Message, e); }
    }
}
