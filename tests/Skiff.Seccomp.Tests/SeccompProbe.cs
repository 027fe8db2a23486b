using System.Runtime.InteropServices;

namespace Skiff.Seccomp.Tests;

/// <summary>
/// Runs in a child process started by <see cref="KernelTests"/>: loads a compiled filter on a thread of
/// its own, makes the system calls it is told to (x86-64 through syscall(2), x32 with the x32 bit,
/// i386 through <c>int 0x80</c>) and prints what each returned. Arguments:
/// <c>probe FILTER-FILE FLAGS CALL...</c>, a CALL being <c>abi:nr[:arg...]</c> with abi x64, x32 or i386.
/// With the NEW_LISTENER flag the main thread, which the filter does not cover, answers every
/// notification with the value 4242.
/// </summary>
internal static unsafe class SeccompProbe
{
    const int PrSetNoNewPrivs = 38;
    const long SysSeccomp = 317, SysGettid = 186, SysTgkill = 234;
    const uint SeccompSetModeFilter = 1;
    const uint NewListener = 1u << 3;
    const uint NotifRecv = 0xc0502100, NotifSend = 0xc0182101;

    [StructLayout(LayoutKind.Sequential)]
    struct SockFprog
    {
        public ushort Length;
        public byte* Filter;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct Notification
    {
        public ulong Id;
        public uint Pid;
        public uint Flags;
        public int Nr;
        public uint Arch;
        public ulong InstructionPointer;
        public fixed ulong Args[6];
    }

    [StructLayout(LayoutKind.Sequential)]
    struct Response
    {
        public ulong Id;
        public long Val;
        public int Error;
        public uint Flags;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [DllImport("libc", SetLastError = true)]
    static extern long syscall(long number, long a0, long a1, long a2, long a3, long a4, long a5);

    [DllImport("libc", SetLastError = true)]
    static extern int ioctl(int fd, ulong request, void* argument);

    [DllImport("libc", SetLastError = true)]
    static extern int poll(short* fds, ulong count, int timeout);

    [DllImport("libc", SetLastError = true)]
    static extern void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [DllImport("libc", SetLastError = true)]
    static extern int mprotect(void* address, nuint length, int protection);

    public static int Run(string[] args)
    {
        byte[] filter = File.ReadAllBytes(args[0]);
        uint flags = uint.Parse(args[1]);
        string[] calls = args[2..];
        nint int80 = Int80Thunk();

        // The runtime starts its signal-handling thread when the console is first used; let that happen
        // here, before the filter, so only the probe thread runs under it.
        Console.Out.Flush();
        long listener = -1, tid = 0;
        bool finished = false;
        using var loaded = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            tid = syscall(SysGettid, 0, 0, 0, 0, 0, 0);
            listener = Load(filter, flags);
            loaded.Set();
            foreach (string call in calls)
            {
                // Write first: a call that kills the thread or the process leaves its line behind.
                Console.WriteLine($"call {call}");
                Console.WriteLine($"{call} => {Make(call, int80)}");
            }
            Volatile.Write(ref finished, true);
        })
        {
            // The runtime waits for foreground threads at exit, and a thread the filter killed never ends for it.
            IsBackground = true,
        };
        thread.Start();
        loaded.Wait();
        if ((flags & NewListener) != 0 && listener >= 0)
            Supervise((int)listener, () => Volatile.Read(ref finished));
        // A thread the filter killed never finishes: watch its kernel thread go instead of joining it.
        int pid = Environment.ProcessId;
        while (!Volatile.Read(ref finished) && syscall(SysTgkill, pid, tid, 0, 0, 0, 0) == 0)
            Thread.Sleep(10);
        if (!Volatile.Read(ref finished))
            Console.WriteLine("probe thread killed");
        else
            thread.Join();
        return 0;
    }

    static long Load(byte[] filter, uint flags)
    {
        if (prctl(PrSetNoNewPrivs, 1, 0, 0, 0) != 0)
            throw new InvalidOperationException($"prctl(PR_SET_NO_NEW_PRIVS): errno {Marshal.GetLastPInvokeError()}");
        fixed (byte* instructions = filter)
        {
            var program = new SockFprog { Length = (ushort)(filter.Length / 8), Filter = instructions };
            long result = syscall(SysSeccomp, SeccompSetModeFilter, flags, (long)&program, 0, 0, 0);
            int errno = Marshal.GetLastPInvokeError();
            Console.WriteLine(result < 0 ? $"load failed errno {errno}" : $"loaded {(result > 0 ? "listener" : "filter")}");
            return result;
        }
    }

    static string Make(string call, nint int80)
    {
        string[] parts = call.Split(':');
        long nr = ParseNumber(parts[1]);
        var a = new long[6];
        for (int i = 2; i < parts.Length; i++)
            a[i - 2] = ParseNumber(parts[i]);
        if (parts[0] == "i386")
        {
            int result = ((delegate* unmanaged<long, long, long, long, int>)int80)(nr, a[0], a[1], a[2]);
            return result is < 0 and >= -4095 ? $"errno {-result}" : $"ok {result}";
        }
        if (parts[0] == "x32")
            nr |= 0x40000000;
        long value = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        return value == -1 ? $"errno {Marshal.GetLastPInvokeError()}" : $"ok {value}";
    }

    static long ParseNumber(string text) =>
        text.StartsWith("0x") ? (long)Convert.ToUInt64(text[2..], 16) : long.Parse(text);

    /// <summary>Answers notifications until the probe is done or the filter has no task left (POLLHUP).</summary>
    static void Supervise(int listener, Func<bool> done)
    {
        const short PollIn = 0x1, PollHup = 0x10;
        short* fd = stackalloc short[4];   // struct pollfd { int fd; short events; short revents; }
        while (!done())
        {
            *(int*)fd = listener;
            fd[2] = PollIn;
            fd[3] = 0;
            int ready = poll(fd, 1, 50);
            if (ready == 0)
                continue;
            if (ready < 0 || (fd[3] & PollIn) == 0)
            {
                Console.WriteLine((fd[3] & PollHup) != 0 ? "listener hung up" : $"poll errno {Marshal.GetLastPInvokeError()}");
                return;
            }
            Notification notification = default;
            if (ioctl(listener, NotifRecv, &notification) != 0)
            {
                Console.WriteLine($"recv errno {Marshal.GetLastPInvokeError()}");
                return;
            }
            Console.WriteLine($"notified nr={notification.Nr} arch=0x{notification.Arch:x}");
            var response = new Response { Id = notification.Id, Val = 4242 };
            if (ioctl(listener, NotifSend, &response) != 0)
                Console.WriteLine($"send errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// <c>int thunk(nr, a0, a1, a2)</c>: a 32-bit system call from this 64-bit process. The kernel
    /// takes <c>int 0x80</c> as an i386 call, so seccomp sees AUDIT_ARCH_I386 and i386 numbers.
    /// </summary>
    static nint Int80Thunk()
    {
        byte[] code =
        [
            0x53,                   // push rbx
            0x48, 0x89, 0xf8,       // mov rax, rdi   (nr)
            0x48, 0x89, 0xf3,       // mov rbx, rsi   (a0)
            0x48, 0x87, 0xca,       // xchg rdx, rcx  (a1 to ecx, a2 to edx)
            0xcd, 0x80,             // int 0x80
            0x5b,                   // pop rbx
            0xc3,                   // ret
        ];
        const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;
        void* page = mmap(null, 4096, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == (void*)-1)
            throw new InvalidOperationException($"mmap: errno {Marshal.GetLastPInvokeError()}");
        code.CopyTo(new Span<byte>(page, code.Length));
        if (mprotect(page, 4096, ProtRead | ProtExec) != 0)
            throw new InvalidOperationException($"mprotect: errno {Marshal.GetLastPInvokeError()}");
        return (nint)page;
    }
}
