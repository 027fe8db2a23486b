using static Skiff.Linux.Interop.Raw;
using static Skiff.Linux.Kernel;
using Sc = Skiff.Linux.Syscall;

namespace Skiff.Runtime.Launch;

/// <summary>The child's identity: capability sets and the executable the process will be. Same rules as <see cref="ChildRoutine"/>: stack buffers and raw system calls only.</summary>
internal static unsafe partial class ChildRoutine
{
    private static long CapSet(CapSetArgs c)
    {
        long effective = c.Effective, permitted = c.Permitted, inheritable = c.Inheritable;
        int* header = stackalloc int[2];
        header[0] = LINUX_CAPABILITY_VERSION_3;
        header[1] = 0;
        uint* data = stackalloc uint[6];
        data[0] = (uint)effective;
        data[1] = (uint)permitted;
        data[2] = (uint)inheritable;
        data[3] = (uint)(effective >> 32);
        data[4] = (uint)(permitted >> 32);
        data[5] = (uint)(inheritable >> 32);
        return Sys(Sc.Capset, (long)header, (long)data);
    }
    /// <summary>The first candidate that is an executable regular file; ENOENT when none exists, EACCES when one exists but cannot run.</summary>
    private static byte* ResolveExecutable(byte** candidates, byte* stat, long* result)
    {
        long error = -Skiff.Linux.Errno.ENOENT;
        for (byte** candidate = candidates; *candidate != null; candidate++)
        {
            if (Sys(Sc.Newfstatat, AT_FDCWD, (long)*candidate, (long)stat, 0) < 0) continue;
            int type = (int)((Skiff.Linux.Interop.StatBuffer*)stat)->Mode & S_IFMT;
            if (type == S_IFREG && Sys(Sc.Faccessat, AT_FDCWD, (long)*candidate, X_OK, 0) == 0)
            {
                *result = 0;
                return *candidate;
            }
            error = -Skiff.Linux.Errno.EACCES;
        }
        *result = error;
        return null;
    }

    /// <summary>Drops from the bounding set every capability up to the last not kept (EINVAL: one this kernel does not know).</summary>
    private static long DropBounding(DropBoundingArgs d)
    {
        long r = 0;
        for (int cap = 0; cap <= d.LastCapability && r >= 0; cap++)
        {
            if ((d.Keep & (1L << cap)) != 0) continue;
            r = Sys(Sc.Prctl, PR_CAPBSET_DROP, cap);
            if (r == -Skiff.Linux.Errno.EINVAL) r = 0;
        }
        return r;
    }

    /// <summary>
    /// The ambient set cleared, then the capabilities in the mask raised. As in runc, one that is not
    /// also inheritable and permitted (EPERM) is skipped.
    /// </summary>
    private static long RaiseAmbient(long mask)
    {
        long r = Sys(Sc.Prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        for (int cap = 0; cap < 64 && r >= 0; cap++)
        {
            if ((mask & (1L << cap)) == 0) continue;
            long raised = Sys(Sc.Prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
            if (raised != -Skiff.Linux.Errno.EPERM) r = raised;
        }
        return r;
    }
}
