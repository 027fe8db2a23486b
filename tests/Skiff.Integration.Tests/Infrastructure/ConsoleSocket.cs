using System.Text;

namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// The receiving end of runc's --console-socket protocol, as conmon and containerd implement it:
/// a unix stream socket on which the runtime connects once and sends the pty master as an
/// SCM_RIGHTS control message.
/// </summary>
public sealed unsafe class ConsoleSocket : IDisposable
{
    private readonly int _listener;

    public string Path { get; }

    public ConsoleSocket(string path)
    {
        Path = path;
        _listener = Native.Socket(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0);
        if (_listener < 0)
            throw new IOException($"socket: {Native.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");

        var address = new Native.SockaddrUn { Family = Native.AF_UNIX };
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length >= 108)
            throw new ArgumentException($"console socket path too long for sockaddr_un: {path}");
        for (var i = 0; i < bytes.Length; i++)
            address.Path[i] = bytes[i];
        if (Native.Bind(_listener, &address, (uint)sizeof(Native.SockaddrUn)) != 0 || Native.Listen(_listener, 1) != 0)
            throw new IOException($"bind/listen {path}: {Native.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
    }

    /// <summary>Waits for the runtime to connect and hand over the pty master.</summary>
    public PtyMaster ReceiveMaster(TimeSpan timeout)
    {
        WaitReadable(_listener, timeout, "a connection on the console socket");
        var connection = Native.Accept4(_listener, null, null, Native.SOCK_CLOEXEC);
        if (connection < 0)
            throw new IOException($"accept: {Native.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
        try
        {
            WaitReadable(connection, timeout, "the pty master on the console socket");
            var payload = stackalloc byte[4096];
            var control = stackalloc ulong[8]; // 64 bytes, aligned as cmsghdr needs
            var iov = new Native.IoVec { Base = payload, Length = 4096 };
            var message = new Native.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
            var received = Native.RecvMsg(connection, &message, 0);
            if (received < 0)
                throw new IOException($"recvmsg: {Native.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");

            var header = (Native.CmsgHdr*)control;
            if (message.ControlLength < (nuint)sizeof(Native.CmsgHdr) || header->Level != Native.SOL_SOCKET || header->Type != Native.SCM_RIGHTS)
                throw new IOException("the runtime's message on the console socket carried no SCM_RIGHTS file descriptor");
            var fd = *(int*)((byte*)control + sizeof(Native.CmsgHdr));
            var name = Encoding.UTF8.GetString(payload, (int)received).TrimEnd('\0');
            return new PtyMaster(fd, name);
        }
        finally
        {
            Native.Close(connection);
        }
    }

    internal static void WaitReadable(int fd, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var pfd = new Native.PollFd { Fd = fd, Events = Native.POLLIN };
            var left = (int)Math.Max(0, (deadline - DateTime.UtcNow).TotalMilliseconds);
            var ready = Native.Poll(&pfd, 1, left);
            if (ready > 0)
                return;
            if (ready == 0)
                throw new TimeoutException($"no {what} within {timeout.TotalSeconds:0.#}s");
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno != Native.EINTR)
                throw new IOException($"poll: {Native.Describe(errno)}");
        }
    }

    public void Dispose()
    {
        Native.Close(_listener);
        File.Delete(Path);
    }
}

/// <summary>The master side of a container's pty, as received over the console socket.</summary>
public sealed unsafe class PtyMaster(int fd, string name) : IDisposable
{
    public int Fd { get; } = fd;

    /// <summary>The name the runtime sent with the fd (runc sends the pty's path).</summary>
    public string Name { get; } = name;

    public void Write(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            if (Native.Write(Fd, p, (nuint)bytes.Length) != bytes.Length)
                throw new IOException($"write to pty master: {Native.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>Reads until the output so far contains <paramref name="text"/>; returns all of it.</summary>
    public string ReadUntil(string text, TimeSpan timeout)
    {
        var output = new StringBuilder();
        var buffer = stackalloc byte[4096];
        var deadline = DateTime.UtcNow + timeout;
        while (!output.ToString().Contains(text, StringComparison.Ordinal))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"no \"{text}\" on the pty within {timeout.TotalSeconds:0.#}s; read: {output}");
            var pfd = new Native.PollFd { Fd = Fd, Events = Native.POLLIN };
            if (Native.Poll(&pfd, 1, (int)left.TotalMilliseconds) <= 0)
                continue;
            var n = Native.Read(Fd, buffer, 4096);
            if (n <= 0)
                throw new IOException($"pty closed before \"{text}\" appeared; read: {output}");
            output.Append(Encoding.UTF8.GetString(buffer, (int)n));
        }
        return output.ToString();
    }

    /// <summary>Reads until every slave fd is closed (read fails with EIO), i.e. the container's process is gone.</summary>
    public string ReadUntilClosed(TimeSpan timeout)
    {
        var output = new StringBuilder();
        var buffer = stackalloc byte[4096];
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"pty still open after {timeout.TotalSeconds:0.#}s; read so far: {output}");
            var pfd = new Native.PollFd { Fd = Fd, Events = Native.POLLIN };
            if (Native.Poll(&pfd, 1, (int)left.TotalMilliseconds) == 0)
                continue;
            var n = Native.Read(Fd, buffer, 4096);
            if (n > 0)
            {
                output.Append(Encoding.UTF8.GetString(buffer, (int)n));
                continue;
            }
            if (n == 0)
                return output.ToString();
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Native.EIO)
                return output.ToString();
            if (errno != Native.EINTR && errno != Native.EAGAIN)
                throw new IOException($"read from pty master: {Native.Describe(errno)}");
        }
    }

    public void Dispose() => Native.Close(Fd);
}
