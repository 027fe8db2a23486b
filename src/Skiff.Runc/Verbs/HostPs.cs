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
        int rc = ProcessSpawn.Start(args[0], args, ProcessSpawn.CurrentEnvironment(), [SpawnFile.Dup(stdout, 1), SpawnFile.Dup(stderr, 2)], out int pid, searchPath: true);
        // Worded as runc's Go exec says it.
        if (rc == Errno.ENOENT) throw new CliException("exec: \"ps\": executable file not found in $PATH");
        if (rc != 0) throw new CliException($"exec: \"ps\": {Errno.Describe(rc)}");
        return pid;
    }

    private static int Wait(int pid)
    {
        int status;
        while (Interop.Libc.WaitPid(pid, &status, 0) < 0)
            if (Errno.Last != Errno.EINTR) throw new CliException($"waiting for ps (pid {pid}): {Errno.Describe(Errno.Last)}");
        return status;
    }
}
