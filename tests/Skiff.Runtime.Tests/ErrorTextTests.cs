using Skiff.Runtime;

namespace Skiff.Runtime.Tests;

/// <summary>How a file error reaches a user when NativeAOT has cut the framework's message down to its resource key.</summary>
public sealed class ErrorTextTests
{
    [Theory]
    [InlineData("IO_PathNotFound_Path, /run/x", "/run/x: path not found")]
    [InlineData("Arg_InvalidHandle", "invalid handle")]
    [InlineData("IO_UnknownError2Args, /dev/x", "/dev/x: unknown error2 args")]
    [InlineData("Could not open /x", "Could not open /x")]
    public void A_resource_key_is_worded_as_lower_case_words_after_the_path(string message, string expected) =>
        Assert.Equal(expected, ErrorText.Describe(new InvalidOperationException(message)));

    [Fact]
    public void A_missing_file_is_worded_as_runc_words_it() =>
        Assert.Equal("/x: no such file or directory", ErrorText.Describe(new FileNotFoundException("IO_FileNotFound_FileName, /x", "/x")));
}
