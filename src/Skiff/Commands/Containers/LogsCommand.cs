using System.CommandLine;
using System.Globalization;
using System.Text;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Logs;

namespace Skiff.Commands.Containers;

/// <summary>skiff logs [-f] [--since T] [--until T] [--tail N] [-t] CONTAINER</summary>
public static class LogsCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER");
        Option<bool> follow = new("--follow", "-f") { Description = "Follow log output" };
        Option<string?> since = new("--since") { Description = "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)" };
        Option<string?> until = new("--until") { Description = "Show logs before a timestamp or relative time" };
        Option<string> tail = new("--tail", "-n") { Description = "Number of lines to show from the end of the logs", DefaultValueFactory = _ => "all" };
        Option<bool> timestamps = new("--timestamps", "-t") { Description = "Show timestamps" };
        Option<bool> details = new("--details") { Description = "Show extra details provided to logs" };
        Command command = new(name, "Fetch the logs of a container") { container, follow, since, until, tail, timestamps, details };
        command.SetAction((parse, cancellationToken) =>
        {
            using EngineSession session = cli.Engine(parse);
            ContainerRecord record = session.Engine.Resolve(parse.GetValue(container)!);
            if (record.Request.LogDriver == "none")
                throw new EngineException("configured logging driver does not support reading", 1);
            DateTimeOffset? from = parse.GetValue(since) is { } s ? ParseTime(s, "--since") : null;
            DateTimeOffset? to = parse.GetValue(until) is { } u ? ParseTime(u, "--until") : null;
            string tailText = parse.GetValue(tail)!;
            int? last = tailText == "all" ? null : int.TryParse(tailText, out int n) && n >= 0 ? n : throw new EngineException($"invalid value for \"--tail\": {tailText}");
            bool stamps = parse.GetValue(timestamps);
            string path = session.Engine.Layout.LogFile(record.Id);
            Func<bool> running = () => session.Engine.ReadExitFile(record.Id) is null
                && session.Engine.Resolve(record.Id).State.Status is ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting;
            bool live = parse.GetValue(follow) && to is null;

            using Stream stdout = Console.OpenStandardOutput(), stderr = Console.OpenStandardError();
            List<LogEntry> history = [];
            string writerLock = Skiff.Engine.Monitor.LogPipe.LockOf(session.Engine.Layout.Bundle(record.Id));
            using IEnumerator<LogEntry?> reader = ContainerLog.Read(path, record.Request.LogDriver, writerLock, running, live, cancellationToken).GetEnumerator();
            while (reader.MoveNext() && reader.Current is { } entry)
                if ((from is null || entry.Time >= from) && (to is null || entry.Time <= to)) history.Add(entry);
            foreach (LogEntry entry in last is { } count ? history.TakeLast(count) : history) Write(entry, stamps, stdout, stderr);
            while (live && reader.MoveNext())
                if (reader.Current is { } entry) Write(entry, stamps, stdout, stderr);
            return Task.FromResult(0);
        });
        return command;
    }

    private static void Write(LogEntry entry, bool timestamps, Stream stdout, Stream stderr)
    {
        string line = (timestamps ? entry.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z' ", CultureInfo.InvariantCulture) : "") + entry.Text + (entry.Newline ? "\n" : "");
        Stream target = entry.Stderr ? stderr : stdout;
        target.Write(Encoding.UTF8.GetBytes(line));
        target.Flush();
    }

    /// <summary>Docker's time arguments: RFC 3339, a Unix timestamp, or a duration back from now (10m, 1h30m).</summary>
    public static DateTimeOffset ParseTime(string text, string flag)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time)) return time;
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double unix)) return DateTimeOffset.UnixEpoch.AddSeconds(unix);
        if (GoDuration.TryParse(text) is { } ago) return DateTimeOffset.UtcNow - ago;
        throw new EngineException($"invalid value for \"{flag}\": failed to parse value as time or duration: \"{text}\"");
    }
}
