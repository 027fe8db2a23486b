using Microsoft.Win32.SafeHandles;
using Skiff.Runc.Output;

namespace Skiff.Runc.Tests;

public class FdWriterTests
{
    [Fact]
    public void Writes_utf8_text_to_the_descriptor()
    {
        using var dir = new TempDir();
        string path = dir.File("out");
        using (SafeFileHandle file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
        {
            var writer = new FdWriter((int)file.DangerousGetHandle(), path, throwOnError: true);
            writer.Write("état: ");
            writer.Write('✓');
            writer.Write("\n");
        }
        Assert.Equal("état: ✓\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_failed_stdout_write_names_the_stream_and_the_reason()
    {
        var writer = new FdWriter(-1, "/dev/stdout", throwOnError: true);
        var error = Assert.Throws<IOException>(() => writer.Write("x"));
        Assert.Equal("write /dev/stdout: bad file descriptor", error.Message);
    }

    [Fact]
    public void A_failed_stderr_write_is_dropped()
    {
        using var dir = new TempDir();
        string path = dir.File("read-only");
        File.WriteAllText(path, "kept\n");
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        int fd = (int)file.DangerousGetHandle();

        // Positive control: a write to this descriptor really fails.
        var error = Assert.Throws<IOException>(() => new FdWriter(fd, "/dev/stderr", throwOnError: true).Write("x"));
        Assert.Equal("write /dev/stderr: bad file descriptor", error.Message);

        Assert.Null(Record.Exception(() => new FdWriter(fd, "/dev/stderr", throwOnError: false).Write("nowhere to go")));
        Assert.Equal("kept\n", File.ReadAllText(path));
    }
}
