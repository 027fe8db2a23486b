using System.Runtime.InteropServices;

namespace Skiff.Linux;

public static partial class Interop
{
    public static partial class Libc
    {
        /// <summary>The effective ids decide what a process may do (a rootless spec maps them).</summary>
        [LibraryImport("libc", EntryPoint = "geteuid")]
        public static partial uint GetEUid();

        [LibraryImport("libc", EntryPoint = "getegid")]
        public static partial uint GetEGid();
    }
}
