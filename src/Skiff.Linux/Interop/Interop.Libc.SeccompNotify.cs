using System.Runtime.InteropServices;

namespace Skiff.Linux;

public static unsafe partial class Interop
{
    public static partial class Libc
    {
        /// <summary>sendmsg(2), for handing a file descriptor to another process (SCM_RIGHTS).</summary>
        [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
        public static partial nint SendMsg(int fd, MsgHdr* message, int flags);
    }
}
