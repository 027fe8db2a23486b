using System.Text.Json;
using Skiff.Runc.CommandLine;
using Skiff.Runc.Logging;

namespace Skiff.Runc.Tests;

/// <summary>Log lines exactly as runc's logrus writes them, since clients parse them.</summary>
public class LogTests
{
    private static readonly DateTimeOffset Utc = new(2026, 1, 2, 15, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset Paris = new(2026, 1, 2, 16, 4, 5, TimeSpan.FromHours(1));

    [Fact]
    public void Json_line_has_logrus_keys_in_sorted_order()
    {
        Assert.Equal("{\"level\":\"error\",\"msg\":\"container does not exist\",\"time\":\"2026-01-02T15:04:05Z\"}\n",
            LogrusLine.Json(LogLevel.Error, "container does not exist", Utc));
        Assert.Equal("{\"level\":\"warning\",\"msg\":\"w\",\"time\":\"2026-01-02T16:04:05+01:00\"}\n",
            LogrusLine.Json(LogLevel.Warning, "w", Paris));
        Assert.Equal("{\"level\":\"debug\",\"msg\":\"d\",\"time\":\"2026-01-02T15:04:05Z\"}\n",
            LogrusLine.Json(LogLevel.Debug, "d", Utc));
    }

    [Fact]
    public void Json_escapes_like_go_encoding_json()
    {
        string line = LogrusLine.Json(LogLevel.Error, "exec: \"sleep\": a\\b\nc\t<&>\u0001é\u2028", Utc);
        Assert.Equal("{\"level\":\"error\",\"msg\":\"exec: \\\"sleep\\\": a\\\\b\\nc\\t\\u003c\\u0026\\u003e\\u0001é\\u2028\",\"time\":\"2026-01-02T15:04:05Z\"}\n", line);
        using JsonDocument parsed = JsonDocument.Parse(line);
        Assert.Equal("exec: \"sleep\": a\\b\nc\t<&>\u0001é\u2028", parsed.RootElement.GetProperty("msg").GetString());
    }

    [Fact]
    public void Text_line_is_logfmt_as_logrus_writes_it_without_a_terminal()
    {
        Assert.Equal("time=\"2026-01-02T15:04:05Z\" level=error msg=\"container does not exist\"\n",
            LogrusLine.Text(LogLevel.Error, "container does not exist", Utc));
        Assert.Equal("time=\"2026-01-02T16:04:05+01:00\" level=info msg=plain-word_1.2/x@y^z+w\n",
            LogrusLine.Text(LogLevel.Info, "plain-word_1.2/x@y^z+w", Paris));
        Assert.Equal("time=\"2026-01-02T15:04:05Z\" level=warning msg=\n",
            LogrusLine.Text(LogLevel.Warning, "", Utc));
    }

    [Fact]
    public void Text_quotes_like_go_strconv_quote()
    {
        Assert.Equal("time=\"2026-01-02T15:04:05Z\" level=error msg=\"runc create failed: exec: \\\"sleep\\\": not found in $PATH\\n\\x01\\u00a0é\"\n",
            LogrusLine.Text(LogLevel.Error, "runc create failed: exec: \"sleep\": not found in $PATH\n\u0001\u00a0é", Utc));
    }

    [Fact]
    public void Without_log_file_the_error_goes_to_stderr_as_a_log_line()
    {
        (int status, string stdout, string stderr) = Cli.Run("state");
        Assert.Equal(1, status);
        Assert.Equal("", stdout);
        Assert.Matches("^time=\"[0-9T:+Z-]+\" level=error msg=\"\\\\\"state\\\\\" requires exactly 1 argument\\(s\\), got 0\"\n$", stderr);
    }

    [Fact]
    public void Json_log_file_gets_the_line_and_stderr_the_plain_message()
    {
        using var dir = new TempDir();
        string log = dir.File("log.json");
        File.WriteAllText(log, "{\"level\":\"info\",\"msg\":\"earlier\",\"time\":\"2026-01-01T00:00:00Z\"}\n");

        (int status, string stdout, string stderr) = Cli.Run("--log", log, "--log-format", "json", "kill", "c1", "NOPE");

        Assert.Equal(1, status);
        Assert.Equal("", stdout);
        string message = "unknown signal \"NOPE\": expected a name such as KILL or SIGTERM, or a number from 1 to 64";
        Assert.Equal(message + "\n", stderr);
        string[] lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Length);
        Assert.Contains("earlier", lines[0]);
        using JsonDocument entry = JsonDocument.Parse(lines[1]);
        Assert.Equal(["level", "msg", "time"], entry.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("error", entry.RootElement.GetProperty("level").GetString());
        Assert.Equal(message, entry.RootElement.GetProperty("msg").GetString());
        Assert.True(DateTimeOffset.TryParse(entry.RootElement.GetProperty("time").GetString(), out _));
    }

    [Fact]
    public void Text_log_file_gets_logfmt_lines_appended()
    {
        using var dir = new TempDir();
        string log = dir.File("log.txt");

        Assert.Equal(1, Cli.Run("--log", log, "start").Status);
        Assert.Equal(1, Cli.Run("--log=" + log, "nosuchverb").Status);

        string[] lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Length);
        Assert.Matches("^time=\"[^\"]+\" level=error msg=\"\\\\\"start\\\\\" requires exactly 1 argument\\(s\\), got 0\"$", lines[0]);
        Assert.Matches("^time=\"[^\"]+\" level=error msg=\"\\\\\"nosuchverb\\\\\" is not a skiff-runc command", lines[1]);
        Assert.Equal("rw-r--r--", ModeOf(log));
    }

    [Fact]
    public void Debug_lines_appear_only_with_debug()
    {
        using var dir = new TempDir();
        string quiet = dir.File("quiet.log"), loud = dir.File("debug.log");

        Assert.Equal(0, Cli.Run("--log", quiet, "--criu", "/usr/sbin/criu", "--rootless", "auto", "spec", "-b", dir.Path).Status);
        File.Delete(dir.File("config.json"));
        Assert.Equal(0, Cli.Run("--debug", "--log", loud, "--log-format", "json", "--criu", "/usr/sbin/criu", "--rootless", "auto", "spec", "-b", dir.Path).Status);

        Assert.False(File.Exists(quiet) && File.ReadAllText(quiet).Length > 0);
        string[] lines = File.ReadAllLines(loud);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.Contains("\"level\":\"debug\"", line));
        Assert.Contains(lines, line => line.Contains("--criu=/usr/sbin/criu is accepted for compatibility and ignored"));
        Assert.Contains(lines, line => line.Contains("--rootless=auto is accepted for compatibility and ignored"));
    }

    [Fact]
    public void A_log_file_that_cannot_be_opened_is_a_one_line_failure()
    {
        using var dir = new TempDir();
        string log = Path.Combine(dir.Path, "missing-dir", "log");
        (int status, string stdout, string stderr) = Cli.Run("--log", log, "features");
        Assert.Equal(1, status);
        Assert.Equal("", stdout);
        Assert.EndsWith($"msg=\"open {log}: no such file or directory\"\n", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    private static string ModeOf(string path)
    {
        UnixFileMode mode = File.GetUnixFileMode(path);
        char Bit(UnixFileMode m, char c) => (mode & m) != 0 ? c : '-';
        return new string([
            Bit(UnixFileMode.UserRead, 'r'), Bit(UnixFileMode.UserWrite, 'w'), Bit(UnixFileMode.UserExecute, 'x'),
            Bit(UnixFileMode.GroupRead, 'r'), Bit(UnixFileMode.GroupWrite, 'w'), Bit(UnixFileMode.GroupExecute, 'x'),
            Bit(UnixFileMode.OtherRead, 'r'), Bit(UnixFileMode.OtherWrite, 'w'), Bit(UnixFileMode.OtherExecute, 'x')]);
    }
}
