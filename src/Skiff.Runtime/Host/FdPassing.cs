using Skiff.Linux;
using Skiff.Runtime.Launch;
using static Skiff.Linux.Kernel;

namespace Skiff.Runtime;

/// <summary>
/// The parent's side of SCM_RIGHTS: one message, one descriptor (the pty master from the child,
/// the seccomp listener to and from). The clone child has its own raw-syscall sender.
/// </summary>
internal static unsafe class FdPassing
{
    /// <summary>recvmsg into buffer; fd is the descriptor that came with it (close-on-exec), or -1.</summary>
    public static nint Receive(int socket, void* buffer, nuint length, out int fd)
    {
        long* control = stackalloc long[3]; // room for one cmsghdr carrying one fd
        Interop.IoVec iov = new() { Base = buffer, Length = length };
        Interop.MsgHdr header = new() { Iov = &iov, IovLength = 1, Control = control, ControlLength = 24 };
        nint n = Interop.Libc.RecvMsg(socket, &header, MSG_CMSG_CLOEXEC);
        bool carriesFd = n > 0 && header.ControlLength >= 20 && ((int*)control)[2] == Kernel.SOL_SOCKET && ((int*)control)[3] == Kernel.SCM_RIGHTS;
        fd = carriesFd ? ((int*)control)[4] : -1;
        return n;
    }

    /// <summary>sendmsg of data with fd attached; returns the bytes sent, or -1 with errno set.</summary>
    public static nint Send(int socket, ReadOnlySpan<byte> data, int fd)
    {
        long* control = stackalloc long[3]; // cmsghdr (len 20) + one int, padded to 24 bytes
        control[0] = 20;
        ((int*)control)[2] = Kernel.SOL_SOCKET;
        ((int*)control)[3] = Kernel.SCM_RIGHTS;
        ((int*)control)[4] = fd;
        ((int*)control)[5] = 0;
        fixed (byte* p = data)
        {
            Interop.IoVec iov = new() { Base = p, Length = (nuint)data.Length };
            Interop.MsgHdr message = new() { Iov = &iov, IovLength = 1, Control = control, ControlLength = 24 };
            nint sent;
            do sent = Interop.Libc.SendMsg(socket, &message, MSG_NOSIGNAL);
            while (sent < 0 && Errno.Last == Errno.EINTR);
            return sent;
        }
    }
}
