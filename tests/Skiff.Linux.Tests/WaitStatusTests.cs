using Skiff.Linux;

namespace Skiff.Linux.Tests;

public class WaitStatusTests
{
    [Theory]
    [InlineData(0x0000, true, 0, 0, "exit status 0")]
    [InlineData(0x0100, true, 1, 1, "exit status 1")]
    [InlineData(0xff00, true, 255, 255, "exit status 255")]
    [InlineData(0x0009, false, 137, 9, "killed by signal 9")]
    [InlineData(0x000f, false, 143, 15, "killed by signal 15")]
    [InlineData(0x0086, false, 134, 6, "killed by signal 6")] // SIGABRT with the core-dump bit
    public void A_status_word_decodes_as_a_shell_reports_it(int raw, bool exited, int exitCode, int detail, string text)
    {
        var status = new WaitStatus(raw);
        Assert.Equal(exited, status.Exited);
        Assert.Equal(exitCode, status.ExitCode);
        Assert.Equal(detail, exited ? status.ExitStatus : status.TermSignal);
        Assert.Equal(text, status.ToString());
    }
}
