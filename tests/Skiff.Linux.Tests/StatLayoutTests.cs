using Skiff.Linux;

namespace Skiff.Linux.Tests;

/// <summary>The typed stat and statfs buffers the clone child reads match the kernel's layout, checked on real files.</summary>
public unsafe class StatLayoutTests
{
    [Fact]
    public void The_buffers_have_the_kernel_s_sizes()
    {
        Assert.Equal(144, sizeof(Interop.StatBuffer));
        Assert.Equal(120, sizeof(Interop.StatFsBuffer));
    }

    [Fact]
    public void Dev_null_reads_as_the_character_device_1_3()
    {
        Interop.StatBuffer stat;
        byte[] path = "/dev/null\0"u8.ToArray();
        fixed (byte* p = path)
            Assert.Equal(0, Interop.Libc.Syscall(Syscall.Newfstatat, Kernel.AT_FDCWD, (long)p, (long)&stat, 0, 0, 0));
        Assert.Equal((uint)Kernel.S_IFCHR, stat.Mode & (uint)Kernel.S_IFMT);
        Assert.Equal(FileFlags.MakeDev(1, 3), stat.RDevice);
    }

    [Fact]
    public void Proc_reads_as_procfs_mounted_read_write()
    {
        Interop.StatFsBuffer statfs;
        byte[] path = "/proc\0"u8.ToArray();
        fixed (byte* p = path)
            Assert.Equal(0, Interop.Libc.Syscall(Syscall.Statfs, (long)p, (long)&statfs, 0, 0, 0, 0));
        Assert.Equal(Kernel.PROC_SUPER_MAGIC, statfs.Type);
        // The host's /proc is mounted read-write: the flag word must not claim read-only.
        Assert.Equal(0, statfs.Flags & Kernel.ST_RDONLY);
    }
}
