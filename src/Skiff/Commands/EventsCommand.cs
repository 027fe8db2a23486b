using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Skiff.Cli;
using Skiff.Commands.Containers;
using Skiff.Engine;
using Skiff.Engine.Events;

namespace Skiff.Commands;

/// <summary>skiff events [--since T] [--until T] [--filter K=V] [--format F]: from the engine's event log, following it without --until.</summary>
public static class EventsCommand
{
    public static Command Create(CliContext cli)
    {
        Option<string?> since = new("--since") { Description = "Show all events created since timestamp" };
        Option<string?> until = new("--until") { Description = "Stream events until this timestamp" };
        Option<string[]> filters = new("--filter", "-f") { Description = "Filter output (container=, event=, image=, label=, type=)" };
        Option<string?> format = new("--format") { Description = "Format the output using a Go template, or json" };
        Command command = new("events", "Get real time events from the engine") { since, until, filters, format };
        command.SetAction((parse, cancellationToken) =>
        {
            DateTimeOffset? from = parse.GetValue(since) is { } s ? LogsCommand.ParseTime(s, "--since") : null;
            DateTimeOffset? to = parse.GetValue(until) is { } u ? LogsCommand.ParseTime(u, "--until") : null;
            List<Func<EngineEvent, bool>> tests = [.. (parse.GetValue(filters) ?? []).Select(Filter)];
            string? template = parse.GetValue(format);
            GoTemplate? go = template is null or "json" ? null : new GoTemplate(template);
            using EngineSession session = cli.Engine(parse);
            foreach (EngineEvent entry in session.Engine.Events.Read(from, to, follow: to is null, cancellationToken))
            {
                if (!tests.All(t => t(entry))) continue;
                if (template == "json") cli.Out.WriteLine(JsonSerializer.Serialize(entry, EventJsonContext.Default.EngineEvent));
                else if (go is not null) cli.Out.WriteLine(go.Render(JsonSerializer.SerializeToElement(entry, EventJsonContext.Default.EngineEvent)));
                else
                {
                    string attributes = string.Join(", ", entry.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));
                    cli.Out.WriteLine($"{entry.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", CultureInfo.InvariantCulture)} {entry.Type} {entry.Action} {entry.ID} ({attributes})");
                }
                cli.Out.Flush();
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static Func<EngineEvent, bool> Filter(string filter)
    {
        int equals = filter.IndexOf('=');
        if (equals <= 0) throw new EngineException($"invalid filter '{filter}'");
        string key = filter[..equals], value = filter[(equals + 1)..];
        return key switch
        {
            "container" => e => e.ID.StartsWith(value, StringComparison.Ordinal) || e.Name == value,
            "event" => e => e.Action == value,
            "image" => e => e.Image == value,
            "type" => e => e.Type == value,
            "label" => e => value.IndexOf('=') is int i && i > 0 ? e.Attributes.TryGetValue(value[..i], out string? v) && v == value[(i + 1)..] : e.Attributes.ContainsKey(value),
            _ => throw new EngineException($"invalid filter '{key}'"),
        };
    }
}
