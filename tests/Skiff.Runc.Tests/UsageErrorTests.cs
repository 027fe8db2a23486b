using Skiff.Runc.CommandLine;
using Skiff.Runc.Verbs;

namespace Skiff.Runc.Tests;

/// <summary>What runc refuses is refused here, in one line that names the thing and the reason.</summary>
public class UsageErrorTests
{
    [Theory]
    [InlineData("flag provided but not defined: -foo", "create", "--foo", "c1")]
    [InlineData("flag provided but not defined: -foo", "create", "-foo=1", "c1")]
    [InlineData("flag provided but not defined: -root", "list", "--root", "/r")]
    [InlineData("flag provided but not defined: -detach", "--detach", "run", "c1")]
    [InlineData("flag provided but not defined: -detach", "create", "--detach", "c1")]
    [InlineData("flag provided but not defined: -nope", "--nope", "list")]
    [InlineData("flag needs an argument: -b", "create", "c1", "-b")]
    [InlineData("flag needs an argument: -root", "--root")]
    [InlineData("bad flag syntax: ---bundle", "create", "---bundle", "/b", "c1")]
    [InlineData("bad flag syntax: --=x", "create", "--=x", "c1")]
    [InlineData("invalid boolean value \"yes\" for -detach: parse error", "run", "--detach=yes", "c1")]
    [InlineData("invalid log-format: xml", "--log-format", "xml", "list")]
    [InlineData("invalid format option \"xml\": expected table or json", "list", "--format", "xml")]
    [InlineData("\"kill\" requires a minimum of 1 argument(s), got 0", "kill")]
    [InlineData("\"kill\" requires a maximum of 2 argument(s), got 3", "kill", "a", "b", "c")]
    [InlineData("\"state\" requires exactly 1 argument(s), got 0", "state")]
    [InlineData("\"delete\" requires exactly 1 argument(s), got 2", "delete", "-f", "a", "b")]
    [InlineData("\"start\" requires exactly 1 argument(s), got 2", "start", "a", "b")]
    [InlineData("\"create\" requires exactly 1 argument(s), got 0", "create", "-b", "/b")]
    [InlineData("\"list\" requires exactly 0 argument(s), got 1", "list", "extra")]
    [InlineData("\"features\" requires exactly 0 argument(s), got 1", "features", "extra")]
    [InlineData("\"nosuchverb\" is not a skiff-runc command (see skiff-runc --help)", "nosuchverb")]
    [InlineData("\"nosuchverb\" is not a skiff-runc command (see skiff-runc --help)", "help", "nosuchverb")]
    public void Refused_with_runcs_reason(string message, params string[] args)
    {
        Assert.Equal(message, Cli.UsageError(args));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public void Preserve_fds_must_be_a_count(string value)
    {
        Assert.Equal($"invalid value \"{value}\" for flag -preserve-fds: expected a number of file descriptors",
            Cli.UsageError("create", "--preserve-fds=" + value, "c1"));
    }

    [Fact]
    public void A_refused_verb_line_still_knows_the_global_flags_so_the_error_reaches_the_log_file()
    {
        Invocation invocation = Cli.Parse("--root", "/r", "--log", "/l", "--log-format", "json", "create", "--foo", "c1");
        Assert.IsType<UsageErrorCommand>(invocation.Command);
        Assert.Equal(new GlobalSettings("/r", "/l", LogFormat.Json), invocation.Globals);
    }

    [Theory]
    [InlineData("checkpoint")]
    [InlineData("restore")]
    public void Verbs_still_to_come_say_so_in_one_line_with_status_1(string verb)
    {
        (int status, string stdout, string stderr) = Cli.Run(verb, "c1");
        Assert.Equal(1, status);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains($"msg=\"\\\"{verb}\\\" is not implemented yet in skiff-runc\"", line);
        Assert.Equal(new PendingCommand(verb), Cli.Command(verb, "c1"));
    }

    [Fact]
    public void Every_refusal_is_status_1_and_one_line()
    {
        foreach (string[] args in new[] { new[] { "create" }, ["--foo"], ["nosuchverb"], ["list", "-f", "xml"], ["--log-format=x", "list"] })
        {
            (int status, string stdout, string stderr) = Cli.Run(args);
            Assert.Equal(1, status);
            Assert.Equal("", stdout);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        }
    }
}
