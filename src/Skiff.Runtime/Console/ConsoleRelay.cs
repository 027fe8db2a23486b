using System.Runtime.InteropServices;
using Skiff.Linux;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime;

/// <summary>
/// `run` of a terminal container without --console-socket: the pty master comes back to us and is
/// wired to our own terminal (raw mode, window size kept in step), as runc does.
/// </summary>
internal sealed unsafe class ConsoleRelay : IDisposable
{
    private const int TCSANOW = 0;
    private readonly int _master;
    private readonly Thread _output;
    private readonly byte[]? _savedTermios;
    private readonly PosixSignalRegistration? _resize;

    public ConsoleRelay(int master)
    {
        _master = master;
        if (Interop.Libc.IsATty(0) == 1)
        {
            _savedTermios = new byte[128];
            byte* raw = stackalloc byte[128];
            fixed (byte* saved = _savedTermios)
            {
                if (Interop.Libc.TcGetAttr(0, saved) == 0)
                {
                    new Span<byte>(saved, 128).CopyTo(new Span<byte>(raw, 128));
                    Interop.Libc.CfMakeRaw(raw);
                    Interop.Libc.TcSetAttr(0, TCSANOW, raw);
                }
                else _savedTermios = null;
            }
            CopyWindowSize();
            _resize = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => CopyWindowSize());
        }
        _output = new Thread(() => Copy(_master, 1)) { IsBackground = true, Name = "console-out" };
        _output.Start();
        new Thread(() => Copy(0, _master)) { IsBackground = true, Name = "console-in" }.Start();
    }

    /// <summary>Receives the pty master the child sent with SCM_RIGHTS.</summary>
    public static int ReceiveMaster(int socket)
    {
        byte* data = stackalloc byte[256];
        if (FdPassing.Receive(socket, data, 256, out int master) < 0) throw SystemCallException.Last("receiving the console from the container");
        return master >= 0 ? master : throw new RuntimeException("the container did not send its console");
    }

    /// <summary>Waits (briefly) for the last output of an exited process to reach our stdout.</summary>
    public void Drain() => _output.Join(TimeSpan.FromSeconds(2));

    public void Dispose()
    {
        _resize?.Dispose();
        if (_savedTermios is not null)
            fixed (byte* saved = _savedTermios) Interop.Libc.TcSetAttr(0, TCSANOW, saved);
        Interop.Libc.Close(_master);
    }

    private void CopyWindowSize()
    {
        ushort* size = stackalloc ushort[4];
        if (Interop.Libc.Ioctl(0, Kernel.TIOCGWINSZ, size) == 0) Interop.Libc.Ioctl(_master, Kernel.TIOCSWINSZ, size);
    }

    private static void Copy(int from, int to)
    {
        byte* buffer = stackalloc byte[8192];
        while (true)
        {
            nint n = Interop.Libc.Read(from, buffer, 8192);
            if (n < 0 && Errno.Last == Errno.EINTR) continue;
            if (n <= 0) return;
            for (nint done = 0; done < n;)
            {
                nint w = Interop.Libc.Write(to, buffer + done, n - done);
                if (w < 0 && Errno.Last == Errno.EINTR) continue;
                if (w <= 0) return;
                done += w;
            }
        }
    }
}
