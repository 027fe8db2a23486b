namespace Skiff.Linux;

/// <summary>
/// Why a file system call failed, in the kernel's words ("no such file or directory"), as runc's
/// messages give it. NativeAOT strips the framework's messages down to resource keys
/// ("IO_PathNotFound_Path, /x"), so the reason is made from the exception's type and the errno it
/// carries; shared by the runtime's messages and the engine's.
/// </summary>
public static class FileError
{
    /// <summary>The reason, or null for an exception that is not a file system call's.</summary>
    public static string? Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => Errno.Describe(Errno.ENOENT),
        PathTooLongException => "file name too long",
        // The errno, when the framework kept it (EPERM for an immutable file, not only EACCES).
        UnauthorizedAccessException { InnerException: IOException { HResult: > 0 and < 4096 } inner } => Errno.Describe(inner.HResult),
        UnauthorizedAccessException => "permission denied",
        IOException { HResult: > 0 and < 4096 } => Errno.Describe(e.HResult),
        IOException when IsKey(e.Message, "IO_FileExists") || IsKey(e.Message, "IO_AlreadyExists") => "file exists",
        IOException when IsKey(e.Message, "IO_SharingViolation") => "resource busy",
        _ => null,
    };

    private static bool IsKey(string message, string key) => message.StartsWith(key, StringComparison.Ordinal);
}
