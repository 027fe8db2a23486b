using Skiff.Linux;

namespace Skiff.Engine.Monitor;

/// <summary>
/// The engine's monitors and helpers, started by <see cref="ProcessSpawn"/> with chosen descriptors
/// (conmon receives its sync pipe as fd 3) and their output in a file. Every other descriptor of
/// ours is close-on-exec and stays behind.
/// </summary>
public static unsafe class ProcessSpawner
{
    /// <summary>Starts <paramref name="program"/>; <paramref name="descriptors"/> maps our fds to the child's numbers.</summary>
    public static int Spawn(string program, IReadOnlyList<string> args, IReadOnlyList<string> env,
        IReadOnlyList<(int Ours, int Theirs)> descriptors, string stdio, bool newSession = false)
    {
        var files = new SpawnFile[3 + descriptors.Count];
        files[0] = SpawnFile.Open(0, "/dev/null", FileFlags.O_RDONLY);
        files[1] = SpawnFile.Open(1, stdio, FileFlags.O_WRONLY | FileFlags.O_CREAT | FileFlags.O_TRUNC, 0x180);
        files[2] = SpawnFile.Dup(1, 2);
        // dup2 onto the same number would keep close-on-exec; glibc clears it for that case.
        for (int i = 0; i < descriptors.Count; i++) files[3 + i] = SpawnFile.Dup(descriptors[i].Ours, descriptors[i].Theirs);
        // A new session keeps a background helper out of the terminal's job control (a ^C meant for an attached run).
        int rc = ProcessSpawn.Start(program, args, env, files, out int pid, newSession: newSession);
        return rc == 0 ? pid : throw new EngineException($"starting {program}: {Errno.Describe(rc)}");
    }

    /// <summary>Waits for a child we spawned and returns its wait status decoded as a shell would (128+signal).</summary>
    public static int Wait(int pid)
    {
        int status;
        while (Interop.Libc.WaitPid(pid, &status, 0) < 0)
        {
            if (Errno.Last != Errno.EINTR) throw new EngineException($"waiting for process {pid}: {Errno.Describe(Errno.Last)}");
        }
        return new WaitStatus(status).ExitCode;
    }

    /// <summary>A pipe whose both ends are close-on-exec: (read, write).</summary>
    public static (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        if (Interop.Libc.Pipe2(fds, FileFlags.O_CLOEXEC) != 0) throw new EngineException($"pipe: {Errno.Describe(Errno.Last)}");
        return (fds[0], fds[1]);
    }
}
