using Skiff.Linux;

namespace Skiff.Engine.Monitor;

/// <summary>
/// What <c>/proc/PID/stat</c> says of a pid: whether a process runs there (a zombie does not: an
/// orphaned container process may never be reaped) and when it started (field 22, in clock ticks
/// since boot), which tells a recorded process from a later one given the same pid.
/// </summary>
public static unsafe class HostProcess
{
    private const int StartTimeField = 22;

    public static bool Alive(int pid) => Read(pid, out _);

    /// <summary>Whether <paramref name="pid"/> is still the process that started at <paramref name="startTime"/>; 0 (not recorded) checks liveness only.</summary>
    public static bool Alive(int pid, ulong startTime) => Read(pid, out ulong started) && (startTime == 0 || started == startTime);

    /// <summary>The start time of a live process, 0 when none runs at <paramref name="pid"/>.</summary>
    public static ulong StartTime(int pid) => Read(pid, out ulong started) ? started : 0;

    private static bool Read(int pid, out ulong startTime)
    {
        startTime = 0;
        if (pid <= 0) return false;
        // One open and one read into the stack: ps asks this of every running container's
        // process and monitor, and a FileStream with its reader costs several times that.
        int fd = Interop.Libc.Open($"/proc/{pid}/stat", FileFlags.O_RDONLY | FileFlags.O_CLOEXEC, 0);
        if (fd < 0) return false;
        byte* buffer = stackalloc byte[1024];
        nint length = Interop.Libc.Read(fd, buffer, 1024);
        Interop.Libc.Close(fd);
        if (length <= 0) return false;
        // "PID (COMM) S ...": the fields restart after the last ')', since COMM may itself hold one.
        ReadOnlySpan<byte> stat = new(buffer, (int)length);
        int close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= stat.Length || stat[close + 2] is (byte)'Z' or (byte)'X') return false;
        ReadOnlySpan<byte> rest = stat[(close + 2)..];
        // The state is field 3: skip to field 22.
        for (int field = 3; field < StartTimeField; field++)
        {
            int space = rest.IndexOf((byte)' ');
            if (space < 0) return true;
            rest = rest[(space + 1)..];
        }
        int end = rest.IndexOf((byte)' ');
        foreach (byte digit in end < 0 ? rest : rest[..end])
        {
            if (digit is < (byte)'0' or > (byte)'9') break;
            startTime = startTime * 10 + (ulong)(digit - '0');
        }
        return true;
    }
}
