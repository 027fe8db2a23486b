namespace Skiff.Cgroups;

/// <summary>A cgroup operation that failed, worded as one line naming the file, the value and the reason.</summary>
public sealed class CgroupException(string message, int errno = 0) : Exception(message)
{
    /// <summary>The errno behind the failure, or 0 when it was not a system call.</summary>
    public int Errno { get; } = errno;
}
