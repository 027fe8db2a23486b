using System.Runtime.InteropServices;

namespace Skiff.Linux;

/// <summary>The calls the cgroup drivers make beyond plain file I/O: directories, OOM notification, BPF.</summary>
public static unsafe partial class Interop
{
    public static partial class Libc
    {
        [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int Mkdir(string path, int mode);

        [LibraryImport("libc", EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int Rmdir(string path);

        [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
        public static partial int EventFd(uint initialValue, int flags);

        [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
        public static partial int InotifyInit1(int flags);

        [LibraryImport("libc", EntryPoint = "inotify_add_watch", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int InotifyAddWatch(int fd, string path, uint mask);
    }
}
