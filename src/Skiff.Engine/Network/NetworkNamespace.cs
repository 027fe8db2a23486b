using System.Runtime.InteropServices;
using Skiff.Linux;

namespace Skiff.Engine.Network;

/// <summary>
/// A container's network namespace kept alive by a bind mount of its nsfs file on a path under the
/// engine's root (what <c>ip netns add</c> does), so that it outlives the container's processes
/// until teardown, and the backend and the runtime can both name it.
/// </summary>
public static partial class NetworkNamespace
{
    private const int MNT_DETACH = 2, EINVAL = 22, ENOENT = 2;

    /// <summary>
    /// Makes a namespace bound at <paramref name="path"/>. Whatever is there first goes: a skiff
    /// killed between a create and its remove leaves a namespace still bound on a fixed path (the
    /// netavark backend's retire-ID), and a new file cannot be opened over a bound nsfs one.
    /// </summary>
    public static void Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Remove(path);
        try
        {
            using (File.Create(path)) { }
        }
        catch (Exception e) when (FileError.Reason(e) is { } reason)
        {
            throw new EngineException($"creating network namespace file {path}: {reason}");
        }
        string? failure = null;
        // unshare affects only the calling thread's namespace; a thread of our own, which ends
        // right after, keeps the rest of the process in the host's.
        Thread thread = new(() =>
        {
            if (Unshare((int)NamespaceKind.Network.CloneFlag) != 0) failure = $"unshare(CLONE_NEWNET): {Errno.Describe(Marshal.GetLastPInvokeError())}";
            else if (Interop.Libc.Mount($"/proc/thread-self/ns/{NamespaceKind.Network.ProcFile}", path, null, MountApi.MS_BIND, null) != 0)
                failure = $"binding it on {path}: {Errno.Describe(Marshal.GetLastPInvokeError())}";
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            File.Delete(path);
            throw new EngineException($"creating the container's network namespace: {failure}");
        }
    }

    /// <summary>Unmounts (every namespace stacked there) and deletes; harmless when either is already gone.</summary>
    public static void Remove(string path)
    {
        while (Interop.Libc.Umount2(path, MNT_DETACH) == 0) { }
        if (Marshal.GetLastPInvokeError() is not (EINVAL or ENOENT) and int errno)
            throw new EngineException($"unmounting network namespace {path}: {Errno.Describe(errno)}");
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (FileError.Reason(e) is { } reason)
        {
            throw new EngineException($"deleting network namespace file {path}: {reason}");
        }
    }

    /// <summary>Whether the namespace is still bound at path: the file it was bound over outlives it, and is no namespace.</summary>
    public static bool IsMounted(string path) => FileSystemType.IsNamespaceFile(path);

    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static partial int Unshare(int flags);
}
