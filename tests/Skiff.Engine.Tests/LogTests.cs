using System.Text.Json;
using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>--log-driver and --log-opt: the file on disk in the driver's format, rotation, and `logs` reading it all.</summary>
[Collection(EngineCollection.Name)]
public sealed class LogTests(EngineSuite suite)
{
    [Fact]
    public void Json_file_writes_docker_json_lines_that_logs_reads_back()
    {
        string id = suite.Ok("run", "-d", "--log-driver", "json-file", "busybox", "sh", "-c", "echo 'out \"quoted\"'; echo err >&2; printf partial").Trim();
        try
        {
            Assert.Equal("0\n", suite.Ok("wait", id));
            string path = suite.Ok("inspect", "-f", "{{.LogPath}}", id).Trim();
            string[] lines = File.ReadAllLines(path);
            Assert.Equal(3, lines.Length);
            Dictionary<string, (string Log, string Time)> byStream = [];
            foreach (string line in lines)
            {
                using JsonDocument entry = JsonDocument.Parse(line);
                Assert.Equal(["log", "stream", "time"], entry.RootElement.EnumerateObject().Select(p => p.Name));
                string log = entry.RootElement.GetProperty("log").GetString()!;
                Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$", entry.RootElement.GetProperty("time").GetString()!);
                byStream[entry.RootElement.GetProperty("stream").GetString() + ":" + log] = (log, entry.RootElement.GetProperty("time").GetString()!);
            }
            Assert.Contains("stdout:out \"quoted\"\n", byStream.Keys);
            Assert.Contains("stderr:err\n", byStream.Keys);
            // The last line had no newline: Docker keeps it as a partial entry.
            Assert.Contains("stdout:partial", byStream.Keys);
            SkiffResult logs = suite.Run("logs", id);
            // As Docker shows it: the unfinished line without a newline.
            Assert.Equal(("out \"quoted\"\npartial", "err\n"), (logs.Out, logs.Error));
            Assert.Equal("json-file", suite.Ok("inspect", "-f", "{{.HostConfig.LogConfig.Type}}", id).Trim());
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Theory]
    [InlineData("json-file")]
    [InlineData("k8s-file")]
    public void Max_size_and_max_file_rotate_and_keep_only_the_newest_files(string driver)
    {
        string id = suite.Ok("run", "-d", "--log-driver", driver, "--log-opt", "max-size=300", "--log-opt", "max-file=3",
            "busybox", "sh", "-c", "i=1; while [ $i -le 60 ]; do echo line $i; i=$((i+1)); done").Trim();
        try
        {
            Assert.Equal("0\n", suite.Ok("wait", id));
            string path = suite.Ok("inspect", "-f", "{{.LogPath}}", id).Trim();
            string directory = Path.GetDirectoryName(path)!;
            Assert.Equal([Path.GetFileName(path), Path.GetFileName(path) + ".1", Path.GetFileName(path) + ".2"],
                Directory.EnumerateFiles(directory, Path.GetFileName(path) + "*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
            // A file is rotated once it has reached max-size, so none holds more than max-size plus one entry.
            foreach (string file in (string[])[path + ".1", path + ".2"]) Assert.InRange(new FileInfo(file).Length, 300, 300 + 120);
            if (driver == "json-file") Assert.StartsWith("{\"log\":\"line ", File.ReadAllText(path + ".2"));
            else Assert.Matches(@"^\S+ stdout F line \d+\n", File.ReadAllText(path + ".2"));

            // logs reads the kept files oldest first: a run of consecutive lines ending at the last.
            List<int> shown = [.. suite.Ok("logs", id).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.Parse(l["line ".Length..]))];
            Assert.Equal(60, shown[^1]);
            Assert.True(shown[0] > 1, "the oldest lines were rotated away");
            Assert.Equal(Enumerable.Range(shown[0], 60 - shown[0] + 1), shown);
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void Logs_follow_keeps_up_across_rotations()
    {
        string id = suite.Ok("run", "-d", "--log-driver", "json-file", "--log-opt", "max-size=200", "--log-opt", "max-file=50",
            "busybox", "sh", "-c", "i=1; while [ $i -le 40 ]; do echo line $i; i=$((i+1)); sleep 0.02; done").Trim();
        try
        {
            SkiffResult follow = suite.Run("logs", "-f", id);
            Assert.Equal(string.Concat(Enumerable.Range(1, 40).Select(i => $"line {i}\n")), follow.Out);
            Assert.True(File.Exists(suite.Ok("inspect", "-f", "{{.LogPath}}", id).Trim() + ".3"), "the log was rotated while followed");
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void The_log_writer_lives_as_long_as_the_container_and_a_restart_appends()
    {
        string id = suite.Ok("run", "-d", "--log-driver", "json-file", "busybox", "sh", "-c", "echo run; sleep 1000").Trim();
        try
        {
            string bundle = Path.Combine(suite.Root, "containers", id);
            Assert.Contains(suite.MonitorsOfThisRun(), pid => CommandLine(pid).Contains("log-writer", StringComparison.Ordinal) && CommandLine(pid).Contains(id, StringComparison.Ordinal));
            suite.Ok("restart", "-t", "0", id);
            DateTime guard = DateTime.UtcNow.AddMinutes(1);
            while (suite.Ok("logs", id) != "run\nrun\n" && DateTime.UtcNow < guard) Thread.Sleep(20);
            Assert.Equal("run\nrun\n", suite.Ok("logs", id));
            suite.Ok("rm", "-f", id);
            Assert.False(Directory.Exists(bundle));
            Assert.Empty(suite.LingeringProcesses());
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Theory]
    [InlineData("json-file", "max-file=0", "max-file cannot be less than 1")]
    [InlineData("json-file", "max-file=two", "invalid value for log-opt max-file")]
    [InlineData("k8s-file", "color=red", "unknown log opt 'color' for k8s-file log driver")]
    [InlineData("none", "max-size=1k", "unknown log opt 'max-size' for none log driver")]
    [InlineData("syslog", "max-size=1k", "--log-driver syslog: not supported")]
    public void Bad_log_options_are_refused_before_anything_is_made(string driver, string option, string message)
    {
        string name = "badlog-" + Guid.NewGuid().ToString("N")[..8];
        SkiffResult result = suite.Run("run", "-d", "--name", name, "--log-driver", driver, "--log-opt", option, "busybox", "true");
        Assert.Equal(125, result.Exit);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain(name, suite.Ok("ps", "-a"));
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return "";
        }
    }
}
