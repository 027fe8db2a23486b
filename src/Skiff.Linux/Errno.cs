using System.Runtime.InteropServices;

namespace Skiff.Linux;

/// <summary>errno values skiff acts on, and their wording.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, EBADF = 9, ECHILD = 10,
        EAGAIN = 11, ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, ENOTDIR = 20, EISDIR = 21,
        EINVAL = 22, ENOSPC = 28, EROFS = 30, EPIPE = 32, ERANGE = 34, ENOSYS = 38, ELOOP = 40,
        ENOTEMPTY = 39, EXDEV = 18, ENOEXEC = 8, ETXTBSY = 26, ENAMETOOLONG = 36, E2BIG = 7;

    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>strerror's wording in lower case, as Go (and so runc) prints it.</summary>
    public static string Describe(int errno)
    {
        string text = Marshal.GetPInvokeErrorMessage(errno);
        return text.Length > 0 ? char.ToLowerInvariant(text[0]) + text[1..] : $"errno {errno}";
    }
}

/// <summary>A failed system call in parent-side code, worded "what: reason".</summary>
public sealed class SystemCallException(string what, int errno)
    : Exception($"{what}: {Errno.Describe(errno)}")
{
    public int Number { get; } = errno;

    public static SystemCallException Last(string what) => new(what, Errno.Last);
}
