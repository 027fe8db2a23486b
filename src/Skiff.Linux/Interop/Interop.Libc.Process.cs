using System.Runtime.InteropServices;

namespace Skiff.Linux;

/// <summary>What a parent needs to hand a child extra descriptors (the engine's monitors read theirs by number).</summary>
public static unsafe partial class Interop
{
    public static partial class Libc
    {
        [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
        public static partial int Pipe2(int* fds, int flags);

        [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int PosixSpawnFileActionsAddOpen(void* fileActions, int fd, string path, int flags, int mode);
    }
}
