using Skiff.Cgroups.V1;

namespace Skiff.Cgroups.Tests;

public class CpusetListTests
{
    [Theory]
    [InlineData("0-2,5", new ushort[] { 0, 1, 2, 5 })]
    [InlineData("3", new ushort[] { 3 })]
    [InlineData("", new ushort[0])]
    public void A_cpuset_file_expands_to_its_numbers(string text, ushort[] numbers) =>
        Assert.Equal(numbers, CpusetV1.List(text, "/sys/fs/cgroup/cpuset/x", "cpuset.cpus"));

    [Theory]
    [InlineData("0-x")]
    [InlineData("5-2")]
    [InlineData("0-70000")]
    public void A_malformed_cpuset_file_is_reported_with_its_path_and_content(string text)
    {
        var e = Assert.Throws<CgroupException>(() => CpusetV1.List(text, "/sys/fs/cgroup/cpuset/x", "cpuset.mems"));
        Assert.Equal($"cgroup: unexpected content in /sys/fs/cgroup/cpuset/x/cpuset.mems: \"{text}\"", e.Message);
    }
}
