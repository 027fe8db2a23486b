using Skiff.Linux;

namespace Skiff.Engine.Monitor;

/// <summary>
/// Wakes a waiter when a file appears in conmon's exit directory (inotify), so a stop, rm or
/// attached run learns of an exit at once rather than at its next poll. Without inotify (a
/// watch limit reached) it sleeps, and the waiter's own checks stay the truth either way.
/// </summary>
internal sealed unsafe class ExitWatch : IDisposable
{
    private const int IN_NONBLOCK = 0x800, IN_CLOEXEC = 0x80000;
    private const uint IN_CLOSE_WRITE = 0x8, IN_MOVED_TO = 0x80, IN_CREATE = 0x100;
    private const short POLLIN = 0x1;
    private int _fd;

    public ExitWatch(string directory)
    {
        _fd = Interop.Libc.InotifyInit1(IN_NONBLOCK | IN_CLOEXEC);
        if (_fd >= 0 && Interop.Libc.InotifyAddWatch(_fd, directory, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0)
        {
            Interop.Libc.Close(_fd);
            _fd = -1;
        }
    }

    /// <summary>Returns after a change in the directory or <paramref name="milliseconds"/>, whichever comes first.</summary>
    public void Wait(int milliseconds)
    {
        if (_fd < 0)
        {
            Thread.Sleep(milliseconds);
            return;
        }
        Interop.PollFd poll = new() { Fd = _fd, Events = POLLIN };
        if (Interop.Libc.Poll(&poll, 1, milliseconds) <= 0) return;
        byte* events = stackalloc byte[4096];
        while (Interop.Libc.Read(_fd, events, 4096) > 0) { }
    }

    public void Dispose()
    {
        if (_fd >= 0) Interop.Libc.Close(_fd);
        _fd = -1;
    }
}
