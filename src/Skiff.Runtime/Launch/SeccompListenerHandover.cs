using System.Text;
using System.Text.Json;
using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Launch;

/// <summary>
/// Gives a seccomp notify fd to the agent listening on linux.seccomp.listenerPath, as runc does:
/// one connection on a unix stream socket, one message whose data is the container process state
/// (JSON) and whose SCM_RIGHTS array holds the fd named "seccompFd" in that state's fds list.
/// </summary>
internal static unsafe class SeccompListenerHandover
{
    private const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000, SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_NOSIGNAL = 0x4000;

    public static void Send(string listenerPath, ContainerProcessState state, int fd)
    {
        byte[] json = Serialize(state);
        byte[] path = Encoding.UTF8.GetBytes(listenerPath);
        // sockaddr_un: a 2-byte family, then up to 107 bytes of path and its NUL.
        if (path.Length > 107)
            throw new RuntimeException($"linux.seccomp.listenerPath \"{listenerPath}\": longer than a unix socket address allows (107 bytes)");
        int socket = Interop.Libc.Socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (socket < 0) throw new RuntimeException($"creating a socket for the seccomp agent: {Errno.Describe(Errno.Last)}");
        try
        {
            byte* address = stackalloc byte[110];
            new Span<byte>(address, 110).Clear();
            *(ushort*)address = AF_UNIX;
            path.CopyTo(new Span<byte>(address + 2, path.Length));
            int r;
            do r = Interop.Libc.Connect(socket, address, 2 + path.Length + 1);
            while (r < 0 && Errno.Last == Errno.EINTR);
            if (r < 0)
                throw new RuntimeException($"failed to connect with seccomp agent specified in the seccomp profile: {listenerPath}: {Errno.Describe(Errno.Last)}");
            SendWithFd(socket, json, fd, listenerPath);
        }
        finally
        {
            Interop.Libc.Close(socket);
        }
    }

    /// <summary>Compact JSON, as runc writes it: agents read the state from a single message.</summary>
    private static byte[] Serialize(ContainerProcessState state)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
            JsonSerializer.Serialize(writer, state, OciJsonContext.Default.ContainerProcessState);
        return buffer.ToArray();
    }

    private static void SendWithFd(int socket, byte[] data, int fd, string listenerPath)
    {
        long* control = stackalloc long[3]; // cmsghdr (len 20) + one int, padded to 24 bytes
        control[0] = 20;
        ((int*)control)[2] = SOL_SOCKET;
        ((int*)control)[3] = SCM_RIGHTS;
        ((int*)control)[4] = fd;
        ((int*)control)[5] = 0;
        fixed (byte* p = data)
        {
            Interop.IoVec iov = new() { Base = p, Length = (nuint)data.Length };
            Interop.MsgHdr message = new() { Iov = &iov, IovLength = 1, Control = control, ControlLength = 24 };
            nint sent;
            do sent = Interop.Libc.SendMsg(socket, &message, MSG_NOSIGNAL);
            while (sent < 0 && Errno.Last == Errno.EINTR);
            if (sent < 0)
                throw new RuntimeException($"cannot send seccomp fd to {listenerPath}: {Errno.Describe(Errno.Last)}");
            if (sent != data.Length)
                throw new RuntimeException($"cannot send seccomp fd to {listenerPath}: the state was cut short ({sent} of {data.Length} bytes)");
        }
    }
}
