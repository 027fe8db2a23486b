using static Skiff.Linux.Interop.Raw;
using static Skiff.Linux.Kernel;
using Sc = Skiff.Linux.Syscall;

namespace Skiff.Runtime.Launch;

/// <summary>The child's mounts, devices and links inside the rootfs, masking, pivot_root. Same rules as <see cref="ChildRoutine"/>: stack buffers and raw system calls only.</summary>
internal static unsafe partial class ChildRoutine
{
    /// <summary>MS_NOSUID, MS_NODEV, MS_NOEXEC and atime flags already on a mount: a remount in a user namespace must keep them.</summary>
    private static long LockedFlags(int fd, byte* statfs)
    {
        if (Sys(Sc.Fstatfs, fd, (long)statfs) < 0) return 0;
        long st = ((Skiff.Linux.Interop.StatFsBuffer*)statfs)->Flags;
        long flags = st & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME);
        if ((st & ST_RELATIME) != 0) flags |= MS_RELATIME;
        return flags;
    }
    private static long MountInRoot(int root, MountInRootArgs m, byte* buffer, byte* fdPath, byte* statfs, int syncFd, int step)
    {
        long resolve = (m.Options & MountInRootOptions.NoSymlinks) != 0 ? RESOLVE_NO_SYMLINKS : 0;
        long fd = ResolveInRoot(root, m.Target, m.Create, buffer, resolve);
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        long r;
        if (m.DetachedSource >= 0)
        {
            // A bind source the parent cloned as host root (open_tree): moved into place, never
            // looked up by a root whose host identity may not reach it.
            r = Sys(Sc.MoveMount, m.DetachedSource, (long)Literal.Empty, fd, (long)Literal.Empty, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
            Sys(Sc.Close, m.DetachedSource);
        }
        else r = Sys(Sc.Mount, (long)m.Source, (long)fdPath, (long)m.FsType, m.Flags, (long)m.Data);
        if (r >= 0 && (m.Options & MountInRootOptions.CopyUp) != 0)
        {
            // fd still names the directory the mount now hides: the parent copies from it into the mount's root.
            long mounted = OpenInRoot(root, m.Target, O_PATH | O_DIRECTORY, resolve);
            if (mounted < 0) r = mounted;
            else
            {
                Send(syncFd, SyncKind.CopyUp, step, (int)mounted, (int)fd);
                r = WaitGo(syncFd);
                Sys(Sc.Close, mounted);
            }
        }
        Sys(Sc.Close, fd);
        if (r < 0 || (m.RemountFlags == 0 && m.AttrSet == 0 && m.Propagation == 0)) return r;

        // The fd names the directory under the new mount; reopen to reach the mount itself.
        fd = OpenInRoot(root, m.Target, O_PATH, resolve);
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        if (m.RemountFlags != 0)
        {
            r = Sys(Sc.Mount, 0, (long)fdPath, 0, m.RemountFlags, 0);
            if (r == -Skiff.Linux.Errno.EPERM)
                r = Sys(Sc.Mount, 0, (long)fdPath, 0, m.RemountFlags | LockedFlags((int)fd, statfs), 0);
        }
        if (r >= 0 && m.AttrSet != 0)
        {
            ulong* attr = stackalloc ulong[4];
            attr[0] = (ulong)m.AttrSet;
            attr[1] = (m.AttrSet & MOUNT_ATTR__ATIME) != 0 ? (ulong)MOUNT_ATTR__ATIME : 0;
            attr[2] = 0;
            attr[3] = 0;
            r = Sys(Sc.MountSetattr, fd, (long)Literal.Empty, AT_EMPTY_PATH | AT_RECURSIVE, (long)attr, 32);
        }
        if (r >= 0 && m.Propagation != 0) r = Sys(Sc.Mount, 0, (long)fdPath, 0, m.Propagation, 0);
        Sys(Sc.Close, fd);
        return r;
    }
    private static long Mknod(int root, MknodArgs n, byte* buffer)
    {
        byte* name;
        long parent = ResolveParentInRoot(root, n.Path, buffer, &name);
        if (parent < 0) return parent;
        Sys(Sc.Unlinkat, parent, (long)name, 0);
        long r = Sys(Sc.Mknodat, parent, (long)name, n.Mode, n.Device);
        if (r >= 0) r = Sys(Sc.Fchownat, parent, (long)name, n.Uid, n.Gid, AT_SYMLINK_NOFOLLOW);
        Sys(Sc.Close, parent);
        return r;
    }
    private static long Symlink(int root, SymlinkArgs l, byte* buffer)
    {
        byte* name;
        long parent = ResolveParentInRoot(root, l.Link, buffer, &name);
        if (parent < 0) return parent;
        long r = Sys(Sc.Symlinkat, (long)l.Target, parent, (long)name);
        if (r == -Skiff.Linux.Errno.EEXIST && l.Existing == SymlinkExisting.Replace)
        {
            Sys(Sc.Unlinkat, parent, (long)name, 0);
            r = Sys(Sc.Symlinkat, (long)l.Target, parent, (long)name);
        }
        if (r == -Skiff.Linux.Errno.EEXIST) r = 0;
        Sys(Sc.Close, parent);
        return r;
    }
    /// <summary>
    /// /dev/null as this mount namespace sees it (a bind source must live in the caller's
    /// namespace), verified to be the character device 1:3 before anything is masked with it.
    /// </summary>
    private static long OpenDevNull(byte* stat)
    {
        ReadOnlySpan<byte> path = "/dev/null"u8;
        byte* name = stackalloc byte[16];
        for (int i = 0; i < path.Length; i++) name[i] = path[i];
        name[path.Length] = 0;
        long fd = Sys(Sc.Openat, AT_FDCWD, (long)name, O_PATH | O_CLOEXEC);
        if (fd < 0) return fd;
        if (FileType(fd, stat) != S_IFCHR || ((Skiff.Linux.Interop.StatBuffer*)stat)->RDevice != Skiff.Linux.FileFlags.MakeDev(1, 3))
        {
            Sys(Sc.Close, fd);
            return -Skiff.Linux.Errno.ENXIO;
        }
        return fd;
    }
    private static int FileType(long fd, byte* stat)
    {
        if (Sys(Sc.Newfstatat, fd, (long)Literal.Empty, (long)stat, AT_EMPTY_PATH) < 0) return 0;
        return (int)((Skiff.Linux.Interop.StatBuffer*)stat)->Mode & S_IFMT;
    }
    /// <summary>Hides a path: a read-only tmpfs over a directory, the host's verified /dev/null over anything else (CVE-2025-31133).</summary>
    private static long MaskPath(int root, byte* relative, int devNull, byte* fdPath, byte* sourcePath, byte* stat)
    {
        long fd = OpenInRoot(root, relative, O_PATH);
        if (fd == -Skiff.Linux.Errno.ENOENT || fd == -Skiff.Linux.Errno.ENOTDIR) return 0;
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        long r;
        if (FileType(fd, stat) == S_IFDIR)
        {
            r = Sys(Sc.Mount, (long)Literal.Tmpfs, (long)fdPath, (long)Literal.Tmpfs, MS_RDONLY, 0);
        }
        else
        {
            FdPath(sourcePath, devNull);
            r = Sys(Sc.Mount, (long)sourcePath, (long)fdPath, 0, MS_BIND, 0);
        }
        Sys(Sc.Close, fd);
        return r;
    }
    private static long ReadonlyPath(int root, byte* relative, byte* fdPath, byte* statfs)
    {
        long fd = OpenInRoot(root, relative, O_PATH);
        if (fd == -Skiff.Linux.Errno.ENOENT || fd == -Skiff.Linux.Errno.ENOTDIR) return 0;
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        long r = Sys(Sc.Mount, (long)fdPath, (long)fdPath, 0, MS_BIND | MS_REC, 0);
        Sys(Sc.Close, fd);
        if (r < 0) return r;
        fd = OpenInRoot(root, relative, O_PATH);
        if (fd < 0) return fd;
        FdPath(fdPath, (int)fd);
        r = Sys(Sc.Mount, 0, (long)fdPath, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | LockedFlags((int)fd, statfs), 0);
        Sys(Sc.Close, fd);
        return r;
    }
    private static long PivotRoot(int root)
    {
        long r = Sys(Sc.Fchdir, root);
        if (r >= 0) r = Sys(Sc.PivotRoot, (long)Literal.Dot, (long)Literal.Dot);
        // The old root now sits under the new one; keep its unmount from propagating to the host.
        if (r >= 0) r = Sys(Sc.Mount, 0, (long)Literal.Dot, 0, MS_SLAVE | MS_REC, 0);
        if (r >= 0) r = Sys(Sc.Umount2, (long)Literal.Dot, MNT_DETACH);
        if (r >= 0) r = Sys(Sc.Chdir, (long)Literal.Slash);
        return r;
    }

    /// <summary>A device in a user namespace: the host's node bound over an empty file in root.</summary>
    private static long BindDevice(int root, BindDeviceArgs d, byte* buffer, byte* fdPath)
    {
        long r = ResolveInRoot(root, d.Path, PathCreate.File, buffer);
        if (r < 0) return r;
        int target = (int)r;
        FdPath(fdPath, target);
        r = Sys(Sc.Mount, (long)d.HostPath, (long)fdPath, 0, MS_BIND, 0);
        Sys(Sc.Close, target);
        return r;
    }

    private static long RemountInRoot(int root, RemountInRootArgs m, byte* fdPath)
    {
        long r = OpenInRoot(root, m.Path, O_PATH);
        if (r < 0) return r;
        int target = (int)r;
        FdPath(fdPath, target);
        r = Sys(Sc.Mount, 0, (long)fdPath, 0, m.Flags, 0);
        Sys(Sc.Close, target);
        return r;
    }

    /// <summary>--no-pivot: the root moved onto / and chrooted into.</summary>
    private static long MoveRoot(int root)
    {
        long r = Sys(Sc.Fchdir, root);
        if (r >= 0) r = Sys(Sc.Mount, (long)Literal.Dot, (long)Literal.Slash, 0, MS_MOVE, 0);
        if (r >= 0) r = Sys(Sc.Chroot, (long)Literal.Dot);
        if (r >= 0) r = Sys(Sc.Chdir, (long)Literal.Slash);
        return r;
    }
}
