using static Skiff.Linux.Interop.Raw;
using static Skiff.Linux.Kernel;
using Sc = Skiff.Linux.Syscall;

namespace Skiff.Runtime.Launch;

/// <summary>The child's the console: a pty from the container's devpts, its master to the console socket. Same rules as <see cref="ChildRoutine"/>: stack buffers and raw system calls only.</summary>
internal static unsafe partial class ChildRoutine
{
    /// <summary>
    /// A pty from the container's own devpts: the master goes to the console socket (SCM_RIGHTS,
    /// as runc sends it), the slave becomes stdio, controlling terminal and /dev/console.
    /// </summary>
    private static long Console(int root, ConsoleArgs c, byte* buffer, byte* fdPath, byte* sourcePath, byte* stat)
    {
        long master = OpenInRoot(root, Literal.Ptmx, O_RDWR | O_NOCTTY);
        if (master < 0) return master;
        int unlock = 0;
        long r = Sys(Sc.Ioctl, master, (long)TIOCSPTLCK, (long)&unlock);
        long slave = r < 0 ? r : Sys(Sc.Ioctl, master, (long)TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) { Sys(Sc.Close, master); return slave; }
        if (c.Rows != 0 || c.Columns != 0)
        {
            ushort* size = stackalloc ushort[4];
            size[0] = (ushort)c.Rows;
            size[1] = (ushort)c.Columns;
            size[2] = 0;
            size[3] = 0;
            Sys(Sc.Ioctl, slave, (long)TIOCSWINSZ, (long)size);
        }

        // /dev/console: only a regular file or character device of our making may receive the bind
        // (CVE-2025-52565). An exec's pty is its own and never the container's console.
        bool exec = c.For == ConsoleFor.Exec;
        long console = exec ? -1 : ResolveInRoot(root, Literal.Console, PathCreate.File, buffer);
        if (exec) r = 0;
        else if (console >= 0)
        {
            int type = FileType(console, stat);
            if (type == S_IFREG || type == S_IFCHR)
            {
                FdPath(fdPath, (int)console);
                FdPath(sourcePath, (int)slave);
                r = Sys(Sc.Mount, (long)sourcePath, (long)fdPath, 0, MS_BIND, 0);
            }
            else r = -Skiff.Linux.Errno.EINVAL;
            Sys(Sc.Close, console);
        }
        else r = console;
        if (r >= 0)
        {
            // The console socket's reader (runc's recvtty, conmon) expects the pty's name beside the fd.
            ReadOnlySpan<byte> name = "/dev/ptmx"u8;
            byte* data = stackalloc byte[16];
            for (int i = 0; i < name.Length; i++) data[i] = name[i];
            r = SendFd(c.Socket, (int)master, data, (nuint)name.Length);
        }
        Sys(Sc.Close, master);
        if (r >= 0)
        {
            Sys(Sc.Setsid);
            r = Sys(Sc.Ioctl, slave, (long)TIOCSCTTY, 0);
        }
        for (int std = 0; std < 3 && r >= 0; std++) r = Sys(Sc.Dup3, slave, std, 0);
        Sys(Sc.Close, slave);
        return r;
    }
    /// <summary>Sends payload with fd attached (SCM_RIGHTS), in one sendmsg.</summary>
    private static long SendFd(int socket, int fd, void* payload, nuint length)
    {
        Skiff.Linux.Interop.IoVec iov;
        iov.Base = payload;
        iov.Length = length;
        // cmsghdr (len 20, SOL_SOCKET, SCM_RIGHTS) + one int, padded to 24 bytes.
        long* control = stackalloc long[3];
        control[0] = 20;
        ((int*)control)[2] = SOL_SOCKET;
        ((int*)control)[3] = SCM_RIGHTS;
        ((int*)control)[4] = fd;
        ((int*)control)[5] = 0;
        Skiff.Linux.Interop.MsgHdr message;
        message.Name = null;
        message.NameLength = 0;
        message.Iov = &iov;
        message.IovLength = 1;
        message.Control = control;
        message.ControlLength = 24;
        message.Flags = 0;
        long r;
        do r = Sys(Sc.Sendmsg, socket, (long)&message, MSG_NOSIGNAL);
        while (r == -Skiff.Linux.Errno.EINTR);
        return r;
    }
}
