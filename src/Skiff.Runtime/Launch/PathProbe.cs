using Skiff.Linux;

namespace Skiff.Runtime.Launch;

/// <summary>What the planner asks of the host about a path, in one place.</summary>
internal static class PathProbe
{
    /// <summary>Whether path lies on a procfs (statfs(2)'s f_type); false when it cannot be asked.</summary>
    public static unsafe bool IsProcfs(string path)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        Interop.StatFsBuffer statfs;
        fixed (byte* p = name)
            return Interop.Libc.Syscall(Syscall.Statfs, (long)p, (long)&statfs, 0, 0, 0, 0) == 0 && statfs.Type == Kernel.PROC_SUPER_MAGIC;
    }
}
