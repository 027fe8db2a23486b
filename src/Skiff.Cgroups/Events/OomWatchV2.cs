using Skiff.Linux;

namespace Skiff.Cgroups.Events;

/// <summary>
/// v2 OOM notification: inotify on memory.events (its oom_kill count rises) and on cgroup.events
/// (populated drops to 0 when the last process leaves, after which no OOM can come).
/// </summary>
internal sealed unsafe class OomWatchV2 : OomWatch
{
    private const int InCloexec = 0x80000;
    private const uint InModify = 0x2;
    private readonly string _dir;
    private int _fd;
    private ulong _oomKills;

    public OomWatchV2(string dir)
    {
        _dir = dir;
        _oomKills = OomKills();
        _fd = Interop.Libc.InotifyInit1(InCloexec);
        if (_fd < 0) throw Failure("inotify_init1", Errno.Last);
        foreach (string file in new[] { "memory.events", "cgroup.events" })
        {
            if (Interop.Libc.InotifyAddWatch(_fd, dir + "/" + file, InModify) < 0)
            {
                int errno = Errno.Last;
                Dispose();
                throw Failure($"watching {dir}/{file}", errno);
            }
        }
    }

    public override OomWaitResult Wait(TimeSpan timeout)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + Milliseconds(timeout);
        byte* buffer = stackalloc byte[4096];
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
            if (events is null || events.Contains("populated 0", StringComparison.Ordinal)) return OomWaitResult.Ended;

            long left = deadline == long.MaxValue ? -1 : Math.Max(0, deadline - Environment.TickCount64);
            var poll = new Interop.PollFd { Fd = _fd, Events = 1 };
            int ready = Interop.Libc.Poll(&poll, 1, (int)Math.Min(left, int.MaxValue));
            if (ready < 0 && Errno.Last == Errno.EINTR) continue;
            if (ready < 0) throw Failure("poll on inotify", Errno.Last);
            if (ready == 0) return OomWaitResult.Timeout;
            if (Interop.Libc.Read(_fd, buffer, 4096) < 0 && Errno.Last != Errno.EINTR) throw Failure("reading inotify", Errno.Last);
        }
    }

    public override void Dispose()
    {
        if (_fd > 0) Interop.Libc.Close(_fd);
        _fd = -1;
    }

    private ulong OomKills()
    {
        string? text = CgroupFile.TryRead(_dir + "/memory.events", out _);
        if (text is null) return _oomKills;
        return CgroupFile.ParseKeyValues(text, _dir, "memory.events").GetValueOrDefault("oom_kill");
    }

    private static CgroupException Failure(string what, int errno) => new($"cgroup: {what}: {Errno.Describe(errno)}", errno);
}
