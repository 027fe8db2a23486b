namespace Skiff.Runc.Tests;

public class HelpAndVersionTests
{
    [Theory]
    [InlineData("--version")]
    [InlineData("-v")]
    public void Version_is_laid_out_like_runcs(string flag)
    {
        (int status, string stdout, string stderr) = Cli.Run(flag);
        Assert.Equal((0, ""), (status, stderr));
        string[] lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Matches("^skiff-runc version [0-9]+\\.[0-9]+\\.[0-9]+", lines[0]);
        Assert.StartsWith("commit: ", lines[1]);
        Assert.Equal("spec: 1.2.0", lines[2]);
    }

    [Fact]
    public void Help_lists_every_verb_and_global_flag()
    {
        (int status, string stdout, string stderr) = Cli.Run("--help");
        Assert.Equal((0, ""), (status, stderr));
        foreach (string verb in new[] { "create", "start", "run", "state", "kill", "delete", "list", "spec", "features",
                     "exec", "ps", "pause", "resume", "update", "events", "checkpoint", "restore" })
            Assert.Contains(verb, stdout);
        foreach (string flag in new[] { "--root", "--log", "--log-format", "--debug", "--systemd-cgroup", "--rootless", "--criu", "--version" })
            Assert.Contains(flag, stdout);
    }

    [Fact]
    public void No_verb_shows_help_like_runc()
    {
        (int status, string stdout, _) = Cli.Run();
        Assert.Equal(0, status);
        Assert.Contains("create", stdout);
    }

    [Fact]
    public void Verb_help_shows_its_flags()
    {
        (int status, string stdout, _) = Cli.Run("help", "create");
        Assert.Equal(0, status);
        foreach (string flag in new[] { "--bundle", "-b", "--pid-file", "--console-socket", "--no-pivot", "--no-new-keyring", "--preserve-fds" })
            Assert.Contains(flag, stdout);
    }
}
