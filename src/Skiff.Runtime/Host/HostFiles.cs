using System.Text;
using Skiff.Linux;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime;

/// <summary>Host objects the parent opens for the child.</summary>
internal static unsafe class HostFiles
{
    /// <summary>Connects to a unix stream socket someone listens on (--console-socket, a seccomp agent).</summary>
    /// <param name="what">What the socket is, for the error message.</param>
    public static int ConnectUnix(string path, string what)
    {
        byte[] name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= 108) throw new RuntimeException($"{what} path {path} is too long for a unix socket");
        int fd = Interop.Libc.Socket(Kernel.AF_UNIX, Kernel.SOCK_STREAM | Kernel.SOCK_CLOEXEC, 0);
        if (fd < 0) throw SystemCallException.Last("socket");
        byte* address = stackalloc byte[110];
        new Span<byte>(address, 110).Clear();
        address[0] = Kernel.AF_UNIX;
        name.CopyTo(new Span<byte>(address + 2, 108));
        int r;
        do r = Interop.Libc.Connect(fd, address, 2 + name.Length + 1);
        while (r < 0 && Errno.Last == Errno.EINTR);
        if (r != 0)
        {
            int errno = Errno.Last;
            Interop.Libc.Close(fd);
            throw new SystemCallException($"connecting to {what} {path}", errno);
        }
        return fd;
    }
}
