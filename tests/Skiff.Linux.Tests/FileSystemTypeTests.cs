using System.Diagnostics;

namespace Skiff.Linux.Tests;

public class FileSystemTypeTests
{
    [Fact]
    public void Procfs_and_a_live_processes_namespace_file_are_told_apart_from_an_ordinary_file()
    {
        string file = Path.GetTempFileName();
        try
        {
            Assert.Equal(Kernel.PROC_SUPER_MAGIC, FileSystemType.Of("/proc/self/status"));
            Assert.True(FileSystemType.IsNamespaceFile("/proc/self/ns/net"));
            Assert.False(FileSystemType.IsNamespaceFile(file));
            Assert.Null(FileSystemType.Of(file + ".missing"));
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void A_namespace_bound_over_a_file_is_one_until_it_is_unmounted()
    {
        string file = Path.GetTempFileName();
        try
        {
            Run("mount", "--bind", "/proc/self/ns/net", file);
            Assert.True(FileSystemType.IsNamespaceFile(file));
            Run("umount", file);
            Assert.True(File.Exists(file));
            Assert.False(FileSystemType.IsNamespaceFile(file));
        }
        finally
        {
            Process.Start("umount", ["-l", file]).WaitForExit();
            File.Delete(file);
        }
    }

    private static void Run(string program, params string[] args)
    {
        using Process process = Process.Start(program, args);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
