using System.Net.Sockets;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Engine.Monitor;

/// <summary>
/// A client of conmon's attach socket (SOCK_SEQPACKET in the bundle): each packet conmon sends is
/// one byte naming the stream (2 stdout, 3 stderr: conmon's stdpipe_t) followed by the bytes; what we send is the
/// container's stdin. The socket is reached through /proc/self/fd of its directory, so the bundle
/// path may be longer than a socket address allows.
/// </summary>
public sealed class AttachSession : IDisposable
{
    private const byte StdoutPipe = 2, StderrPipe = 3;
    private readonly Socket _socket;
    private readonly UnixFd _directory;

    private AttachSession(Socket socket, UnixFd directory)
    {
        _socket = socket;
        _directory = directory;
    }

    public static AttachSession Connect(string bundle)
    {
        int fd = Interop.Libc.Open(bundle, FileFlags.O_PATH | FileFlags.O_DIRECTORY | FileFlags.O_CLOEXEC, 0);
        if (fd < 0) throw new EngineException($"attach: {bundle}: {Errno.Describe(Errno.Last)}");
        UnixFd directory = new(fd);
        Socket socket = new(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint($"/proc/self/fd/{fd}/attach"));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            directory.Dispose();
            throw new EngineException($"attach: connecting to the container's monitor: {e.Message}");
        }
        return new AttachSession(socket, directory);
    }

    /// <summary>Copies the container's output until conmon closes the socket (the container exited).</summary>
    public void CopyOutput(Stream stdout, Stream stderr)
    {
        byte[] packet = new byte[32 * 1024 + 1];
        while (true)
        {
            int n;
            try
            {
                n = _socket.Receive(packet);
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (n <= 0) return;
            Stream target = packet[0] == StderrPipe ? stderr : stdout;
            if (packet[0] is StdoutPipe or StderrPipe)
            {
                target.Write(packet, 1, n - 1);
                target.Flush();
            }
        }
    }

    /// <summary>Sends stdin to the container; returns false once the monitor is gone.</summary>
    public bool Send(ReadOnlySpan<byte> data)
    {
        try
        {
            while (data.Length > 0)
            {
                int n = _socket.Send(data);
                data = data[n..];
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Tells conmon the stdin stream ended: it closes the container's stdin (unless told to keep it).</summary>
    public void CloseInput()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException) { }
    }

    /// <summary>
    /// Leaves the container running: shutdown(SHUT_RD) wakes the thread blocked reading output
    /// (close would not), and, unlike shutting the write half, sends conmon no end of input, so the
    /// container's stdin stays open for the next attach.
    /// </summary>
    public void Detach()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (SocketException) { }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _directory.Dispose();
    }
}
