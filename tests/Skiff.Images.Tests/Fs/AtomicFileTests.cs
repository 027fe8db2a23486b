using Skiff.Images.Fs;

namespace Skiff.Images.Tests.Fs;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("skiff-atomic-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_write_replaces_the_file_whole_and_leaves_no_temporary()
    {
        string path = Path.Combine(_directory, "hosts");
        File.WriteAllText(path, "old content that is longer than the new\n");
        AtomicFile.Write(path, "new\n");
        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void A_write_that_cannot_replace_the_file_keeps_the_old_one_and_removes_its_temporary()
    {
        // A directory where the file should be: the rename over it fails after the temporary is written.
        string path = Path.Combine(_directory, "config.json");
        Directory.CreateDirectory(path);
        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(path, "{}"u8));
        Assert.True(Directory.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
    }
}
