using Skiff.Linux;

namespace Skiff.Cgroups.Events;

/// <summary>
/// v1 OOM notification: an eventfd registered on memory.oom_control through cgroup.event_control.
/// The kernel also signals the eventfd when the cgroup is removed, which is told apart by
/// cgroup.event_control no longer existing.
/// </summary>
internal sealed unsafe class OomWatchV1 : OomWatch
{
    private const int EfdCloexec = 0x80000, ReadOnly = 0, CloseOnExec = 0x80000;
    private readonly string _dir;
    private int _eventFd, _controlFd;

    public OomWatchV1(string memoryDir)
    {
        _dir = memoryDir;
        _eventFd = Interop.Libc.EventFd(0, EfdCloexec);
        if (_eventFd < 0) throw Failure("eventfd", Errno.Last);
        _controlFd = Interop.Libc.Open(memoryDir + "/memory.oom_control", ReadOnly | CloseOnExec, 0);
        if (_controlFd < 0)
        {
            int errno = Errno.Last;
            Dispose();
            throw Failure($"opening {memoryDir}/memory.oom_control", errno);
        }
        string registration = $"{_eventFd} {_controlFd}";
        int error = CgroupFile.TryWrite(memoryDir + "/cgroup.event_control", registration);
        if (error != 0)
        {
            Dispose();
            throw Failure($"writing \"{registration}\" to {memoryDir}/cgroup.event_control", error);
        }
    }

    public override OomWaitResult Wait(TimeSpan timeout)
    {
        var poll = new Interop.PollFd { Fd = _eventFd, Events = 1 };
        while (true)
        {
            int ready = Interop.Libc.Poll(&poll, 1, Milliseconds(timeout));
            if (ready < 0 && Errno.Last == Errno.EINTR) continue;
            if (ready < 0) throw Failure("poll on the OOM eventfd", Errno.Last);
            if (ready == 0) return OomWaitResult.Timeout;
            ulong count;
            if (Interop.Libc.Read(_eventFd, (byte*)&count, sizeof(ulong)) < 0) throw Failure("reading the OOM eventfd", Errno.Last);
            return File.Exists(_dir + "/cgroup.event_control") ? OomWaitResult.Oom : OomWaitResult.Ended;
        }
    }

    public override void Dispose()
    {
        if (_eventFd > 0) Interop.Libc.Close(_eventFd);
        if (_controlFd > 0) Interop.Libc.Close(_controlFd);
        _eventFd = _controlFd = -1;
    }

    private static CgroupException Failure(string what, int errno) => new($"cgroup: {what}: {Errno.Describe(errno)}", errno);
}
