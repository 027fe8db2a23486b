using System.Runtime.InteropServices;
using System.Text;
using Skiff.Linux;
using Skiff.Runc.CommandLine;
using static Skiff.Linux.Kernel;

namespace Skiff.Runc.Verbs;

/// <summary>
/// The host's ps(1) for the `ps` verb, its output captured. Spawned here rather than with .NET's
/// Process: Process's redirected streams bring pipes, sockets and the thread pool into the binary,
/// over half a megabyte of code that the kernel maps in on every start of the runtime, `run`
/// included (bench/README.md). Both streams go to memory files, so neither can fill and stall ps
/// while the other is read.
/// </summary>
internal static unsafe class HostPs
{
    /// <summary>glibc's sigset_t is 1024 bits, and posix_spawnattr_setsig* copy all of it.</summary>
    private const int SigsetWords = 1024 / 64;

    /// <summary>
    /// ps's standard output; a ps that fails is reported with its wait status ("exit status 1",
    /// "killed by signal 9") and what it printed. ps is looked up on PATH alone, as runc's Go exec
    /// looks it up (.NET's Process also tried the executable's own directory and the current one).
    /// </summary>
    public static string Run(IReadOnlyList<string> arguments)
    {
        int output = -1, errors = -1;
        try
        {
            output = MemoryFile("ps stdout");
            errors = MemoryFile("ps stderr");
            var status = new WaitStatus(Wait(Spawn(["ps", .. arguments], output, errors)));
            string text = ReadAll(output);
            if (!status.Exited || status.ExitStatus != 0)
            {
                string said = (text + ReadAll(errors)).Trim().ReplaceLineEndings(" ");
                throw new CliException($"ps {string.Join(' ', arguments)}: {status}: {said}");
            }
            return text;
        }
        finally
        {
            if (output >= 0) Interop.Libc.Close(output);
            if (errors >= 0) Interop.Libc.Close(errors);
        }
    }

    /// <summary>The whole memory file from its start (ps's writes moved the shared offset to its end).</summary>
    private static string ReadAll(int fd)
    {
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
        byte[] bytes = new byte[RandomAccess.GetLength(handle)];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0) break;
            read += n;
        }
        return Encoding.UTF8.GetString(bytes, 0, read);
    }

    private static int MemoryFile(string name)
    {
        int fd = Interop.Libc.MemfdCreate(name, MFD_CLOEXEC);
        return fd >= 0 ? fd : throw new CliException($"memfd_create for {name}: {Errno.Describe(Errno.Last)}");
    }

    private static int Spawn(IReadOnlyList<string> args, int stdout, int stderr)
    {
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            env.Add($"{entry.Key}={entry.Value}");
        var strings = new List<nint>();
        try
        {
            byte** argv = stackalloc byte*[args.Count + 1];
            for (int i = 0; i < args.Count; i++) argv[i] = Utf8(args[i], strings);
            argv[args.Count] = null;
            byte** envp = (byte**)NativeMemory.Alloc((nuint)(env.Count + 1), (nuint)sizeof(byte*));
            strings.Add((nint)envp);
            for (int i = 0; i < env.Count; i++) envp[i] = Utf8(env[i], strings);
            envp[env.Count] = null;

            byte* actions = stackalloc byte[256];
            byte* attributes = stackalloc byte[512];
            Interop.Libc.PosixSpawnFileActionsInit(actions);
            Interop.Libc.PosixSpawnAttrInit(attributes);
            try
            {
                Interop.Libc.PosixSpawnFileActionsAddDup2(actions, stdout, 1);
                Interop.Libc.PosixSpawnFileActionsAddDup2(actions, stderr, 2);
                // .NET blocks and handles signals on its own threads; ps starts with none blocked
                // and every disposition at its default. The sets are glibc's whole sigset_t.
                ulong* none = stackalloc ulong[SigsetWords];
                ulong* all = stackalloc ulong[SigsetWords];
                for (int i = 0; i < SigsetWords; i++) { none[i] = 0; all[i] = ~0UL; }
                Interop.Libc.PosixSpawnAttrSetSigmask(attributes, none);
                Interop.Libc.PosixSpawnAttrSetSigdefault(attributes, all);
                Interop.Libc.PosixSpawnAttrSetFlags(attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
                int pid;
                int rc = Interop.Libc.PosixSpawnp(&pid, argv[0], actions, attributes, argv, envp);
                // Worded as runc's Go exec says it.
                if (rc == Errno.ENOENT) throw new CliException("exec: \"ps\": executable file not found in $PATH");
                if (rc != 0) throw new CliException($"exec: \"ps\": {Errno.Describe(rc)}");
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
            foreach (nint p in strings) NativeMemory.Free((void*)p);
        }
    }

    private static byte* Utf8(string text, List<nint> keep)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        byte* p = (byte*)NativeMemory.Alloc((nuint)count + 1);
        keep.Add((nint)p);
        Encoding.UTF8.GetBytes(text, new Span<byte>(p, count));
        p[count] = 0;
        return p;
    }

    private static int Wait(int pid)
    {
        int status;
        while (Interop.Libc.WaitPid(pid, &status, 0) < 0)
            if (Errno.Last != Errno.EINTR) throw new CliException($"waiting for ps (pid {pid}): {Errno.Describe(Errno.Last)}");
        return status;
    }
}
