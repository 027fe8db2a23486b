using System.CommandLine;
using System.Text.Json;
using Skiff.Runc.CommandLine;
using Skiff.Runc.Go;
using Skiff.Runc.Output;
using Skiff.Runtime;

namespace Skiff.Runc.Verbs;

internal sealed class EventsVerb : Verb
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    private readonly Option<string> _interval = new("--interval")
    {
        Description = "set the stats collection interval (default: 5s)",
    };

    private readonly Option<bool> _stats = new("--stats") { Description = "display the container's stats then exit" };

    public EventsVerb() : base("events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
        1, [ContainerId])
    {
        Command.Options.Add(_interval);
        Command.Options.Add(_stats);
    }

    protected override RuncCommand Bind(ParseResult result, string[] arguments)
    {
        TimeSpan interval = result.GetValue(_interval) is { } text
            ? GoNumbers.Duration(text) ?? throw new CliException($"invalid value \"{text}\" for flag -interval: parse error")
            : DefaultInterval;
        if (interval <= TimeSpan.Zero) throw new CliException("duration interval must be greater than 0");
        return new EventsCommand(arguments[0], interval, result.GetValue(_stats));
    }
}

/// <summary>
/// `events`: with --stats one stats line and exit; otherwise a stats line every interval and an oom
/// line whenever the kernel kills in the container's cgroup, until the container stops. One JSON
/// object per line, as runc's encoder writes them.
/// </summary>
internal sealed record EventsCommand(string Id, TimeSpan Interval, bool StatsOnce) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        if (StatsOnce)
        {
            Write(session, new ContainerEvent(ContainerEvent.StatsType, session.Runtime.Stats(Id)));
            return 0;
        }
        foreach (ContainerEvent e in session.Runtime.Events(Id, Interval)) Write(session, e);
        return 0;
    }

    private void Write(RuncSession session, ContainerEvent e) =>
        session.Out.Write(JsonSerializer.Serialize(new EventLine { Type = e.Type, Id = Id, Data = e.Stats }, EventJsonContext.Default.EventLine) + "\n");
}
