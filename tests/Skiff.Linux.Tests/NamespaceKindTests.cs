namespace Skiff.Linux.Tests;

public class NamespaceKindTests
{
    [Theory]
    [InlineData("pid", 0x20000000L, "pid")]
    [InlineData("network", 0x40000000L, "net")]
    [InlineData("mount", 0x00020000L, "mnt")]
    [InlineData("ipc", 0x08000000L, "ipc")]
    [InlineData("uts", 0x04000000L, "uts")]
    [InlineData("user", 0x10000000L, "user")]
    [InlineData("cgroup", 0x02000000L, "cgroup")]
    [InlineData("time", 0x00000080L, "time")]
    public void Each_oci_type_has_its_clone_flag_and_proc_file(string ociType, long flag, string file)
    {
        NamespaceKind kind = NamespaceKind.FromOciType(ociType)!;
        Assert.NotNull(kind);
        Assert.Equal(flag, kind.CloneFlag);
        Assert.Equal(file, kind.ProcFile);
        Assert.Equal($"/proc/42/ns/{file}", kind.ProcPath(42));
    }

    [Fact]
    public void The_table_holds_the_eight_namespaces_once_each()
    {
        Assert.Equal(8, NamespaceKind.All.Count);
        Assert.Equal(8, NamespaceKind.All.Select(k => k.OciType).Distinct().Count());
        Assert.Equal(8, NamespaceKind.All.Select(k => k.ProcFile).Distinct().Count());
        long flags = 0;
        foreach (NamespaceKind kind in NamespaceKind.All)
        {
            Assert.Equal(1, System.Numerics.BitOperations.PopCount((ulong)kind.CloneFlag));
            Assert.Equal(0, flags & kind.CloneFlag);
            flags |= kind.CloneFlag;
        }
    }

    [Fact]
    public void The_table_names_the_files_this_kernel_has()
    {
        foreach (NamespaceKind kind in NamespaceKind.All)
            Assert.True(File.Exists($"/proc/self/ns/{kind.ProcFile}"), $"/proc/self/ns/{kind.ProcFile} is missing");
    }

    [Fact]
    public void Joining_starts_with_the_user_namespace_and_covers_every_kind()
    {
        Assert.Same(NamespaceKind.User, NamespaceKind.JoinOrder[0]);
        Assert.Equal(NamespaceKind.All.OrderBy(k => k.OciType), NamespaceKind.JoinOrder.OrderBy(k => k.OciType));
    }

    [Theory]
    [InlineData("net")]
    [InlineData("NETWORK")]
    [InlineData("")]
    [InlineData(null)]
    public void A_name_that_is_not_an_oci_namespace_type_is_not_found(string? type) =>
        Assert.Null(NamespaceKind.FromOciType(type));
}
