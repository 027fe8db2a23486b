using Skiff.Linux;

namespace Skiff.Cgroups;

/// <summary>Removes a cgroup and the cgroups made inside it (a container with a cgroup namespace may nest its own).</summary>
internal static class CgroupTree
{
    public static void Remove(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (string child in Directory.GetDirectories(dir)) Remove(child);
        // The kernel reports EBUSY for a moment after the last process exits, until it is reaped.
        int delay = 5;
        for (int attempt = 0; ; attempt++)
        {
            if (Interop.Libc.Rmdir(dir) == 0) return;
            int errno = Errno.Last;
            if (errno == Errno.ENOENT) return;
            if (errno != Errno.EBUSY || attempt == 8)
            {
                var pids = CgroupProcs.Recursive(dir);
                int[] shown = new int[Math.Min(10, pids.Count)];
                for (int i = 0; i < shown.Length; i++) shown[i] = pids[i];
                string still = pids.Count > 0 ? $" (processes still in it: {string.Join(", ", shown)})" : "";
                throw new CgroupException($"cgroup: removing {dir}: {Errno.Describe(errno)}{still}", errno);
            }
            Thread.Sleep(delay);
            delay = Math.Min(delay * 2, 100);
        }
    }
}
