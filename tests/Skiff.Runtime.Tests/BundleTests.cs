using Skiff.Runtime;

namespace Skiff.Runtime.Tests;

/// <summary>A bundle's config.json read and checked before anything is made, each fault named.</summary>
public sealed class BundleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-bundle-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string json)
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), json);
        return _dir;
    }

    [Fact]
    public void A_minimal_bundle_loads_with_its_rootfs_resolved_against_the_bundle()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "rootfs"));
        Bundle bundle = Bundle.Load(Config("""{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"}}"""));
        Assert.Equal(Path.Combine(_dir, "rootfs"), bundle.RootfsPath);
        Assert.Equal(["sh"], bundle.Spec.Process!.Args!);
    }

    [Theory]
    [InlineData("""{"root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"}}""", "ociVersion is missing")]
    [InlineData("""{"ociVersion":"2.0.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"}}""", "ociVersion 2.0.0 is not supported")]
    [InlineData("""{"ociVersion":"1.0.2","root":{"path":"rootfs"}}""", "process is missing")]
    [InlineData("""{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"}}""", "root.path is missing")]
    [InlineData("""{"ociVersion":"1.0.2","root":{"path":"nowhere"},"process":{"args":["sh"],"cwd":"/"}}""", "no such file or directory")]
    [InlineData("""{"ociVersion":"1.0.2","process":{"rlimits":[{"type":"RLIMIT_NOFILE","hard":-1,"soft":1}]}}""", "json: cannot unmarshal number -1 into process.rlimits[0].hard (uint64)")]
    public void A_bad_config_is_refused_with_the_field_and_the_reason(string json, string expected)
    {
        var e = Assert.Throws<RuntimeException>(() => Bundle.Load(Config(json)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_missing_config_and_a_directory_in_its_place_are_told_apart()
    {
        var missing = Assert.Throws<RuntimeException>(() => Bundle.Load(_dir));
        Assert.Contains("config.json not found in bundle", missing.Message);
        Directory.CreateDirectory(Path.Combine(_dir, "config.json"));
        var directory = Assert.Throws<RuntimeException>(() => Bundle.Load(_dir));
        Assert.Contains("is a directory, not a file", directory.Message);
    }
}
