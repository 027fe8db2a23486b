using Skiff.Linux;

namespace Skiff.Linux.Tests;

/// <summary>The kernel's words for a failed file call, from what .NET's exceptions keep of it.</summary>
public sealed class FileErrorTests
{
    [Fact]
    public void A_missing_file_or_directory_is_enoent() =>
        Assert.All(new Exception[] { new FileNotFoundException("IO_FileNotFound"), new DirectoryNotFoundException("IO_PathNotFound_Path, /x") },
            e => Assert.Equal("no such file or directory", FileError.Reason(e)));

    [Fact]
    public void A_refused_write_gives_the_errno_the_framework_kept() =>
        Assert.Equal("operation not permitted", FileError.Reason(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /x", new IOException("x", Errno.EPERM))));

    [Fact]
    public void A_refusal_without_an_errno_is_permission_denied() =>
        Assert.Equal("permission denied", FileError.Reason(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /x")));

    [Theory]
    [InlineData("IO_FileExists_Name, /x", "file exists")]
    [InlineData("IO_SharingViolation_File, /x", "resource busy")]
    public void Resource_keys_without_an_errno_are_worded(string message, string reason) =>
        Assert.Equal(reason, FileError.Reason(new IOException(message)));

    [Fact]
    public void An_io_error_with_an_errno_is_worded_by_it() =>
        Assert.Equal("no space left on device", FileError.Reason(new IOException("x", 28)));

    [Fact]
    public void Anything_else_has_no_file_reason() =>
        Assert.Null(FileError.Reason(new InvalidOperationException("IO_FileExists")));
}
