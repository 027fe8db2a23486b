using System.Runtime.InteropServices;

namespace Skiff.Linux;

/// <summary>Extended attributes: by fd for files we hold open, by path (never followed) otherwise.</summary>
public static unsafe partial class Interop
{
    public static partial class Libc
    {
        [LibraryImport("libc", EntryPoint = "fsetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int FSetXattr(int fd, string name, byte* value, nint size, int flags);

        [LibraryImport("libc", EntryPoint = "lsetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int LSetXattr(string path, string name, byte* value, nint size, int flags);

        [LibraryImport("libc", EntryPoint = "lgetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial nint LGetXattr(string path, string name, byte* value, nint size);

        [LibraryImport("libc", EntryPoint = "llistxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial nint LListXattr(string path, byte* list, nint size);
    }
}
