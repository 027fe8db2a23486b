using System.Runtime.InteropServices;
using System.Text;
using static Skiff.Linux.Kernel;

namespace Skiff.Linux;

/// <summary>One descriptor of a spawned child: <see cref="From"/> duplicated to <see cref="To"/>, or <see cref="Path"/> opened as it.</summary>
public readonly record struct SpawnFile(int To, int From, string? Path, int Flags, int Mode)
{
    public static SpawnFile Dup(int from, int to) => new(to, from, null, 0, 0);

    public static SpawnFile Open(int to, string path, int flags, int mode = 0) => new(to, -1, path, flags, mode);
}

/// <summary>
/// posix_spawn for the runtime's hooks, its ps, and the engine's monitors: with .NET's Process a
/// child cannot get a descriptor at a chosen number (conmon reads its pipes as fd 3 and 4), nor its
/// own argv[0], and Process's redirected streams bring pipes, sockets and the thread pool into a
/// binary. Every child starts with no signal blocked and every disposition at its default: .NET
/// blocks and handles signals on threads of its own, and the runtime ignores SIGPIPE.
/// </summary>
public static unsafe class ProcessSpawn
{
    /// <summary>glibc's sigset_t is 1024 bits, and posix_spawnattr_setsig* copy all of them.</summary>
    private const int SigsetWords = 1024 / 64;

    /// <summary>
    /// Starts <paramref name="program"/> (looked up on PATH when <paramref name="searchPath"/>, as
    /// posix_spawnp does) with <paramref name="args"/> as its whole argv; 0 with the child's pid, or posix_spawn's errno.
    /// </summary>
    public static int Start(string program, IReadOnlyList<string> args, IReadOnlyList<string> env, ReadOnlySpan<SpawnFile> files,
        out int pid, bool searchPath = false, bool newSession = false)
    {
        pid = 0;
        var allocations = new List<nint>();
        try
        {
            byte* path = Utf8(program, allocations);
            byte** argv = Vector(args, allocations);
            byte** envp = Vector(env, allocations);
            byte* actions = stackalloc byte[256];
            byte* attributes = stackalloc byte[512];
            Interop.Libc.PosixSpawnFileActionsInit(actions);
            Interop.Libc.PosixSpawnAttrInit(attributes);
            try
            {
                // In the order given: a later dup2 may read a descriptor an earlier open made.
                foreach (SpawnFile file in files)
                {
                    if (file.Path is { } opened) Interop.Libc.PosixSpawnFileActionsAddOpen(actions, file.To, opened, file.Flags, file.Mode);
                    else Interop.Libc.PosixSpawnFileActionsAddDup2(actions, file.From, file.To);
                }
                ulong* none = stackalloc ulong[SigsetWords];
                ulong* all = stackalloc ulong[SigsetWords];
                for (int i = 0; i < SigsetWords; i++) { none[i] = 0; all[i] = ~0UL; }
                Interop.Libc.PosixSpawnAttrSetSigmask(attributes, none);
                Interop.Libc.PosixSpawnAttrSetSigdefault(attributes, all);
                Interop.Libc.PosixSpawnAttrSetFlags(attributes, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? POSIX_SPAWN_SETSID : 0)));
                int child;
                int rc = searchPath
                    ? Interop.Libc.PosixSpawnp(&child, path, actions, attributes, argv, envp)
                    : Interop.Libc.PosixSpawn(&child, path, actions, attributes, argv, envp);
                if (rc == 0) pid = child;
                return rc;
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

    /// <summary>This process's environment as NAME=VALUE strings (what Go's exec passes for a nil Env).</summary>
    public static List<string> CurrentEnvironment()
    {
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            env.Add($"{entry.Key}={entry.Value}");
        return env;
    }

    private static byte** Vector(IReadOnlyList<string> items, List<nint> allocations)
    {
        byte** vector = (byte**)NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(byte*));
        allocations.Add((nint)vector);
        for (int i = 0; i < items.Count; i++) vector[i] = Utf8(items[i], allocations);
        vector[items.Count] = null;
        return vector;
    }

    private static byte* Utf8(string text, List<nint> allocations)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        byte* p = (byte*)NativeMemory.Alloc((nuint)count + 1);
        allocations.Add((nint)p);
        Encoding.UTF8.GetBytes(text, new Span<byte>(p, count));
        p[count] = 0;
        return p;
    }
}
