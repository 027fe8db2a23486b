using Skiff.Linux;

namespace Skiff.Cgroups.Events;

/// <summary>
/// v2 OOM notification: inotify on memory.events (its oom_kill count rises) and on cgroup.events
/// (populated drops to 0 when the last process leaves, after which no OOM can come). A cgroup that
/// has never held a process is not "ended": the watch may start before the container's first process.
/// </summary>
internal sealed unsafe class OomWatchV2 : OomWatch
{
    private const int InCloexec = 0x80000;
    private const uint InModify = 0x2;
    private readonly string _dir;
    private int _fd, _eventsWatch;
    private ulong _oomKills;
    private bool _wasPopulated;

    public OomWatchV2(string dir)
    {
        _dir = dir;
        _oomKills = OomKills();
        _fd = Interop.Libc.InotifyInit1(InCloexec);
        if (_fd < 0) throw Failure("inotify_init1", Errno.Last);
        AddWatch("memory.events");
        _eventsWatch = AddWatch("cgroup.events");
    }

    public override OomWaitResult Wait(TimeSpan timeout)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + Milliseconds(timeout);
        const int size = 4096;
        byte* buffer = stackalloc byte[size];
        while (true)
        {
            // Check before sleeping: a kill between two waits has already modified the file.
            ulong kills = OomKills();
            if (kills > _oomKills)
            {
                _oomKills = kills;
                return OomWaitResult.Oom;
            }
            string? events = CgroupFile.TryRead(_dir + "/cgroup.events", out _);
            if (events is null) return OomWaitResult.Ended;
            bool populated = events.Contains("populated 1", StringComparison.Ordinal);
            if (!populated && _wasPopulated) return OomWaitResult.Ended;
            _wasPopulated |= populated;

            long left = deadline == long.MaxValue ? -1 : Math.Max(0, deadline - Environment.TickCount64);
            var poll = new Interop.PollFd { Fd = _fd, Events = 1 };
            int ready = Interop.Libc.Poll(&poll, 1, (int)Math.Min(left, int.MaxValue));
            if (ready < 0 && Errno.Last == Errno.EINTR) continue;
            if (ready < 0) throw Failure("poll on inotify", Errno.Last);
            if (ready == 0) return OomWaitResult.Timeout;
            nint length = Interop.Libc.Read(_fd, buffer, size);
            if (length < 0)
            {
                if (Errno.Last == Errno.EINTR) continue;
                throw Failure("reading inotify", Errno.Last);
            }
            // struct inotify_event { int wd; u32 mask, cookie, len; char name[len]; }: a change of
            // cgroup.events means a process came or went, so "not populated" now is an end.
            for (nint offset = 0; offset + 16 <= length; offset += 16 + (nint)(*(uint*)(buffer + offset + 12)))
                if (*(int*)(buffer + offset) == _eventsWatch) _wasPopulated = true;
        }
    }

    public override void Dispose()
    {
        if (_fd > 0) Interop.Libc.Close(_fd);
        _fd = -1;
    }

    private int AddWatch(string file)
    {
        int watch = Interop.Libc.InotifyAddWatch(_fd, _dir + "/" + file, InModify);
        if (watch >= 0) return watch;
        int errno = Errno.Last;
        Dispose();
        throw Failure($"watching {_dir}/{file}", errno);
    }

    private ulong OomKills()
    {
        string? text = CgroupFile.TryRead(_dir + "/memory.events", out _);
        if (text is null) return _oomKills;
        return CgroupFile.ParseKeyValues(text, _dir, "memory.events").GetValueOrDefault("oom_kill");
    }

    private static CgroupException Failure(string what, int errno) => new($"cgroup: {what}: {Errno.Describe(errno)}", errno);
}
