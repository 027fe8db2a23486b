using System.Text;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using static Skiff.Linux.Kernel;

namespace Skiff.Runtime.Lifecycle;

/// <summary>
/// Runs the hooks that belong to the runtime's namespace (prestart, createRuntime, poststart,
/// poststop) with posix_spawn, so argv[0] is the hook's own args[0] (dockerd's
/// libnetwork-setkey dispatches on it) and the environment is exactly the hook's env.
/// </summary>
public static unsafe class HookRunner
{

    public static void RunAll(IEnumerable<Hook>? hooks, string kind, Oci.Runtime.State state)
    {
        if (hooks is null) return;
        byte[] stdin = Encoding.UTF8.GetBytes(state.ToJson(indented: true));
        foreach (Hook hook in hooks) Run(hook, kind, stdin);
    }

    /// <summary>Poststart and poststop: a failing hook is a warning and the rest still run (runtime-spec).</summary>
    public static void RunAllWarning(IEnumerable<Hook>? hooks, string kind, Oci.Runtime.State state, Action<string>? warn)
    {
        if (hooks is null) return;
        byte[] stdin = Encoding.UTF8.GetBytes(state.ToJson(indented: true));
        foreach (Hook hook in hooks)
        {
            try { Run(hook, kind, stdin); }
            catch (Exception e) when (e is RuntimeException or SystemCallException) { warn?.Invoke(e.Message); }
        }
    }

    public static void Run(Hook hook, string kind, byte[] stdin)
    {
        string what = $"{kind} hook {hook.Path}";
        if (!File.Exists(hook.Path)) throw new RuntimeException($"{what}: no such file or directory");
        int* pipe = stackalloc int[2];
        if (Interop.Libc.Syscall(Syscall.Pipe2, (long)pipe, O_CLOEXEC, 0, 0, 0, 0) != 0)
            throw SystemCallException.Last($"{what}: pipe");
        int pid;
        try
        {
            pid = Spawn(hook, pipe[0]);
        }
        finally { Interop.Libc.Close(pipe[0]); }
        WriteAll(pipe[1], stdin);
        Interop.Libc.Close(pipe[1]);

        int status = Wait(pid, hook.Timeout, what);
        if (status != 0)
            throw new RuntimeException($"{what} failed: {new WaitStatus(status)}");
    }

    /// <summary>
    /// The runtime's own executable (/proc/self/exe) when it can serve as <see cref="HookTrampoline"/>,
    /// so hooks die with a killed runtime; null (a library used in-process) spawns hooks directly.
    /// </summary>
    public static string? Trampoline { get; set; }

    private static int Spawn(Hook hook, int stdinFd)
    {
        IReadOnlyList<string> args = hook.Args is { Count: > 0 } a ? a : [hook.Path];
        // A hook without env gets the runtime's own environment, as runc's do (Go's exec with a nil Env).
        IReadOnlyList<string> env = hook.Env ?? ProcessSpawn.CurrentEnvironment();
        string program = hook.Path;
        if (Trampoline is { } trampoline)
        {
            // Said here, as posix_spawn would, rather than as an exit status of the trampoline.
            if (!File.Exists(hook.Path))
                throw new SystemCallException($"starting hook {hook.Path}", Errno.ENOENT);
            if ((File.GetUnixFileMode(hook.Path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
                throw new SystemCallException($"starting hook {hook.Path}", Errno.EACCES);
            args = [trampoline, HookTrampoline.Verb, Environment.ProcessId.ToString(), hook.Path, .. args];
            program = trampoline;
        }
        int rc = ProcessSpawn.Start(program, args, env, [SpawnFile.Dup(stdinFd, 0)], out int pid);
        return rc == 0 ? pid : throw new SystemCallException($"starting hook {hook.Path}", rc);
    }

    private static void WriteAll(int fd, byte[] data)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = Interop.Libc.Write(fd, p + done, data.Length - done);
                if (n <= 0) return; // a hook that ignores stdin may close it early; its exit status decides
                done += (int)n;
            }
        }
    }

    private static int Wait(int pid, int? timeoutSeconds, string what)
    {
        if (timeoutSeconds is > 0)
        {
            int pidfd = (int)Interop.Libc.Syscall(Syscall.PidfdOpen, pid, 0, 0, 0, 0, 0);
            if (pidfd >= 0)
            {
                Interop.PollFd poll = new() { Fd = pidfd, Events = 1 };
                int ready;
                do ready = Interop.Libc.Poll(&poll, 1, timeoutSeconds.Value * 1000);
                while (ready < 0 && Errno.Last == Errno.EINTR);
                Interop.Libc.Close(pidfd);
                if (ready == 0)
                {
                    Interop.Libc.Kill(pid, Signal.SIGKILL);
                    int ignored;
                    Interop.Libc.WaitPid(pid, &ignored, 0);
                    throw new RuntimeException($"{what} did not finish within its timeout of {timeoutSeconds}s and was killed");
                }
            }
        }
        int status;
        while (Interop.Libc.WaitPid(pid, &status, 0) < 0)
            if (Errno.Last != Errno.EINTR) throw SystemCallException.Last($"waiting for {what}");
        return status;
    }
}
