using Skiff.Runc.CommandLine;
using Skiff.Runc.Verbs;

namespace Skiff.Runc.Tests;

public class KillTests
{
    [Theory]
    [InlineData("KILL", 9)]
    [InlineData("SIGKILL", 9)]
    [InlineData("kill", 9)]
    [InlineData("SigKill", 9)]
    [InlineData("9", 9)]
    [InlineData("TERM", 15)]
    [InlineData("15", 15)]
    [InlineData("HUP", 1)]
    [InlineData("SIGUSR1", 10)]
    [InlineData("USR2", 12)]
    [InlineData("WINCH", 28)]
    [InlineData("SIGCHLD", 17)]
    [InlineData("SIGSYS", 31)]
    [InlineData("IOT", 6)]
    [InlineData("RTMIN", 34)]
    [InlineData("SIGRTMIN+3", 37)]
    [InlineData("RTMAX", 64)]
    [InlineData("rtmax-1", 63)]
    [InlineData("64", 64)]
    [InlineData("1", 1)]
    public void Signal_by_name_or_number(string signal, int number)
    {
        Assert.Equal(new KillCommand("c1", number, All: false), Cli.Command("kill", "c1", signal));
        Assert.Equal(number, SignalName.Parse(signal));
    }

    [Fact]
    public void Default_signal_is_sigterm()
    {
        Assert.Equal(new KillCommand("c1", 15, All: false), Cli.Command("kill", "c1"));
    }

    [Theory]
    [InlineData("kill", "--all", "c1", "KILL")]
    [InlineData("kill", "-a", "c1", "9")]
    [InlineData("kill", "-all", "c1", "SIGKILL")]
    [InlineData("kill", "c1", "9", "--all")]
    [InlineData("kill", "c1", "--all=true", "KILL")]
    [InlineData("kill", "--a", "c1", "kill")]
    public void Kill_all_in_every_spelling(params string[] args)
    {
        Assert.Equal(new KillCommand("c1", 9, All: true), Cli.Command(args));
    }

    [Theory]
    [InlineData("FOO")]
    [InlineData("SIGFOO")]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-9")]
    [InlineData("9x")]
    [InlineData("RTMIN+31")]
    [InlineData("RTMIN-1")]
    [InlineData("")]
    public void Unknown_signal_is_a_clear_error(string signal)
    {
        string message = Cli.UsageError("kill", "c1", "--", signal);
        Assert.StartsWith($"unknown signal \"{signal}\"", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Unknown_signal_fails_with_status_1_and_one_line()
    {
        (int status, string stdout, string stderr) = Cli.Run("kill", "c1", "NOPE");
        Assert.Equal(1, status);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("msg=\"unknown signal \\\"NOPE\\\"", stderr);
    }
}
