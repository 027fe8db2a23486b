using System.Runtime.InteropServices;
using System.Text;
using Skiff.Linux;

namespace Skiff.Engine.Monitor;

/// <summary>
/// posix_spawn with chosen descriptors: .NET's Process cannot place a pipe at fd 3, which is how
/// conmon receives its sync pipe. Every other descriptor of ours is close-on-exec and stays behind.
/// </summary>
internal static unsafe class ProcessSpawner
{
    private const short POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSID = 0x80;

    /// <summary>Starts <paramref name="program"/>; <paramref name="descriptors"/> maps our fds to the child's numbers.</summary>
    public static int Spawn(string program, IReadOnlyList<string> args, IReadOnlyList<string> env,
        IReadOnlyList<(int Ours, int Theirs)> descriptors, string stdio, bool newSession = false)
    {
        List<nint> allocations = [];
        try
        {
            byte* path = Utf8(program, allocations);
            byte** argv = (byte**)Track(NativeMemory.Alloc((nuint)(args.Count + 1), (nuint)sizeof(byte*)), allocations);
            for (int i = 0; i < args.Count; i++) argv[i] = Utf8(args[i], allocations);
            argv[args.Count] = null;
            byte** envp = (byte**)Track(NativeMemory.Alloc((nuint)(env.Count + 1), (nuint)sizeof(byte*)), allocations);
            for (int i = 0; i < env.Count; i++) envp[i] = Utf8(env[i], allocations);
            envp[env.Count] = null;

            byte* actions = stackalloc byte[256];
            byte* attributes = stackalloc byte[512];
            Interop.Libc.PosixSpawnFileActionsInit(actions);
            Interop.Libc.PosixSpawnAttrInit(attributes);
            try
            {
                Interop.Libc.PosixSpawnFileActionsAddOpen(actions, 0, "/dev/null", FileFlags.O_RDONLY, 0);
                Interop.Libc.PosixSpawnFileActionsAddOpen(actions, 1, stdio, FileFlags.O_WRONLY | FileFlags.O_CREAT | FileFlags.O_TRUNC, 0x180);
                Interop.Libc.PosixSpawnFileActionsAddDup2(actions, 1, 2);
                // dup2 onto the same number would keep close-on-exec; glibc clears it for that case.
                foreach ((int ours, int theirs) in descriptors) Interop.Libc.PosixSpawnFileActionsAddDup2(actions, ours, theirs);
                // .NET blocks and handles signals on its own threads; the monitor starts with none
                // blocked. The sets are glibc's whole sigset_t (1024 bits), which posix_spawnattr_setsig* copy.
                ulong* none = stackalloc ulong[16];
                ulong* all = stackalloc ulong[16];
                for (int i = 0; i < 16; i++) { none[i] = 0; all[i] = ~0UL; }
                Interop.Libc.PosixSpawnAttrSetSigmask(attributes, none);
                Interop.Libc.PosixSpawnAttrSetSigdefault(attributes, all);
                // A new session keeps a background helper out of the terminal's job control (a ^C
                // meant for an attached run).
                Interop.Libc.PosixSpawnAttrSetFlags(attributes, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? POSIX_SPAWN_SETSID : 0)));
                int pid;
                int rc = Interop.Libc.PosixSpawn(&pid, path, actions, attributes, argv, envp);
                if (rc != 0) throw new EngineException($"starting {program}: {Errno.Describe(rc)}");
                return pid;
            }
            finally
            {
                Interop.Libc.PosixSpawnFileActionsDestroy(actions);
                Interop.Libc.PosixSpawnAttrDestroy(attributes);
            }
        }
        finally
        {
            foreach (nint p in allocations) NativeMemory.Free((void*)p);
        }
    }

    /// <summary>Waits for a child we spawned and returns its wait status decoded as a shell would (128+signal).</summary>
    public static int Wait(int pid)
    {
        int status;
        while (Interop.Libc.WaitPid(pid, &status, 0) < 0)
        {
            if (Errno.Last != Errno.EINTR) throw new EngineException($"waiting for process {pid}: {Errno.Describe(Errno.Last)}");
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
    }

    /// <summary>A pipe whose both ends are close-on-exec: (read, write).</summary>
    public static (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        if (Interop.Libc.Pipe2(fds, FileFlags.O_CLOEXEC) != 0) throw new EngineException($"pipe: {Errno.Describe(Errno.Last)}");
        return (fds[0], fds[1]);
    }

    private static byte* Utf8(string text, List<nint> allocations)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        byte* p = (byte*)Track(NativeMemory.Alloc((nuint)count + 1), allocations);
        Encoding.UTF8.GetBytes(text, new Span<byte>(p, count));
        p[count] = 0;
        return p;
    }

    private static void* Track(void* pointer, List<nint> allocations)
    {
        allocations.Add((nint)pointer);
        return pointer;
    }
}
