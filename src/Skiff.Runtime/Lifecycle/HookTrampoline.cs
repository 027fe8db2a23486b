using Skiff.Linux;
using static Skiff.Linux.Kernel;

namespace Skiff.Runtime.Lifecycle;

/// <summary>
/// Runtime-namespace hooks must die with the runtime: a hook left running after the runtime was
/// killed mid-create holds the half-made container's resources (and loops on, if it waits for
/// something). posix_spawn cannot ask for a parent-death signal, so the runtime's own executable
/// spawns itself as this trampoline, which sets PR_SET_PDEATHSIG, gives the hook a clean signal
/// state and execs it: the hook keeps the pid (timeouts still kill it) and its own argv[0].
/// </summary>
public static unsafe class HookTrampoline
{
    /// <summary>argv[1] of the trampoline: [exe, Verb, runtime pid, hook path, hook argv...].</summary>
    public const string Verb = "__skiff-hook";


    public static bool Handles(IReadOnlyList<string> args) => args.Count >= 4 && args[0] == Verb;

    public static int Run(IReadOnlyList<string> args)
    {
        int runtime = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        string path = args[2];
        Interop.Libc.Prctl(PR_SET_PDEATHSIG, Signal.SIGKILL, 0, 0, 0);
        // The runtime may have died before the signal was armed: then nobody waits for this hook.
        if (Interop.Libc.Syscall(Syscall.Getppid, 0, 0, 0, 0, 0, 0) != runtime) return 1;

        // The .NET runtime ignores SIGPIPE and installs handlers; execve keeps ignored signals
        // ignored and the mask as it is, so both are reset for the hook.
        long* defaultAction = stackalloc long[4];
        new Span<long>(defaultAction, 4).Clear();
        for (int signal = 1; signal <= 64; signal++)
            if (signal is not (Signal.SIGKILL or Signal.SIGSTOP))
                Interop.Libc.Syscall(Syscall.RtSigaction, signal, (long)defaultAction, 0, 8, 0, 0);
        ulong none = 0;
        Interop.Libc.Syscall(Syscall.RtSigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0, 0);

        // The hook's environment is this process's, exactly as the runtime handed it over.
        byte** envp = ExecVector.FromNulSeparated(File.ReadAllBytes("/proc/self/environ"));
        byte** argv = ExecVector.Of(args.Skip(3));
        byte* file = ExecVector.Of([path])[0];
        Interop.Libc.Syscall(Syscall.Execve, (long)file, (long)argv, (long)envp, 0, 0, 0);
        Console.Error.WriteLine($"skiff-runc: hook {path}: exec: {Errno.Describe(Errno.Last)}");
        return 127;
    }
}
