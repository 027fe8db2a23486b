using System.Runtime.InteropServices;
using Skiff.Linux;
using static Skiff.Linux.Kernel;

namespace Skiff.Engine.Network.Cni;

/// <summary>
/// Brings a container's <c>lo</c> up, as the CNI loopback plugin's ADD does, without its exec per
/// setup: a thread of our own joins the netns and sets IFF_UP on <c>lo</c>; the kernel gives an
/// up loopback device 127.0.0.1/8 (and ::1) by itself. Nothing is undone at teardown: the
/// namespace, and its lo with it, goes away; and a container left with no network after a
/// disconnect keeps a working lo, as on Docker.
/// </summary>
internal static unsafe partial class LoopbackLink
{
    public static void Up(string netnsPath)
    {
        string? failure = null;
        // setns changes only the calling thread's namespace; this thread ends right after.
        Thread thread = new(() => failure = UpHere(netnsPath));
        thread.Start();
        thread.Join();
        if (failure is not null) throw new EngineException($"bringing lo up in the container's network namespace {netnsPath}: {failure}");
    }

    private static string? UpHere(string netnsPath)
    {
        int ns = Interop.Libc.Open(netnsPath, FileFlags.O_RDONLY | FileFlags.O_CLOEXEC, 0);
        if (ns < 0) return $"open: {Errno.Describe(Errno.Last)}";
        try
        {
            if (SetNs(ns, (int)NamespaceKind.Network.CloneFlag) != 0) return $"setns: {Errno.Describe(Errno.Last)}";
        }
        finally
        {
            Interop.Libc.Close(ns);
        }
        int socket = Interop.Libc.Socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (socket < 0) return $"socket: {Errno.Describe(Errno.Last)}";
        try
        {
            // struct ifreq: the name in 16 bytes, then ifr_flags (a short) at the start of the union.
            byte* request = stackalloc byte[40];
            new Span<byte>(request, 40).Clear();
            request[0] = (byte)'l';
            request[1] = (byte)'o';
            if (Interop.Libc.Ioctl(socket, SIOCGIFFLAGS, request) != 0) return $"reading lo's flags: {Errno.Describe(Errno.Last)}";
            *(short*)(request + 16) |= IFF_UP;
            if (Interop.Libc.Ioctl(socket, SIOCSIFFLAGS, request) != 0) return $"setting lo up: {Errno.Describe(Errno.Last)}";
            return null;
        }
        finally
        {
            Interop.Libc.Close(socket);
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
