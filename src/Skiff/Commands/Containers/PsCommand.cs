using System.CommandLine;
using System.Globalization;
using System.IO.Enumeration;
using System.Text.Json;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Inspect;
using Skiff.Engine.Spec;
using Skiff.Images;

namespace Skiff.Commands.Containers;

/// <summary>skiff ps [-a] [-q] [-n N] [-l] [-s] [--no-trunc] [--filter K=V] [--format F]</summary>
public static class PsCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Option<bool> all = new("--all", "-a") { Description = "Show all containers (default shows just running)" };
        Option<bool> quiet = new("--quiet", "-q") { Description = "Only display container IDs" };
        Option<int?> last = new("--last", "-n") { Description = "Show n last created containers (includes all states)" };
        Option<bool> latest = new("--latest", "-l") { Description = "Show the latest created container (includes all states)" };
        Option<bool> size = new("--size", "-s") { Description = "Display total file sizes" };
        Option<bool> noTrunc = new("--no-trunc") { Description = "Don't truncate output" };
        Option<string[]> filters = new("--filter", "-f") { Description = "Filter output (name, id, status, label, ancestor, exited)" };
        Option<string?> format = new("--format") { Description = "Format output: table, json, or a Go template" };
        Command command = new(name, "List containers") { all, quiet, last, latest, size, noTrunc, filters, format };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            IEnumerable<ContainerRecord> records = session.Engine.List();
            int? limit = parse.GetValue(latest) ? 1 : parse.GetValue(last);
            if (!parse.GetValue(all) && limit is null) records = records.Where(r => r.State.Status is ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting);
            foreach (string filter in parse.GetValue(filters) ?? []) records = Filter(records, filter, session);
            if (limit is { } n) records = records.Take(n);
            bool trunc = !parse.GetValue(noTrunc);
            if (parse.GetValue(quiet))
            {
                foreach (ContainerRecord record in records) cli.Out.WriteLine(trunc ? record.ShortId : record.Id);
                return 0;
            }
            // One image read per image, not per container: 100 containers of one image share it.
            Dictionary<string, Skiff.Images.Oci.ContainerConfig?> images = [];
            List<ContainerListRow> rows = [.. records.Select(r => Row(session, images, r, trunc, parse.GetValue(size)))];
            string? template = parse.GetValue(format);
            if (template == "json")
            {
                foreach (ContainerListRow row in rows) cli.Out.WriteLine(JsonSerializer.Serialize(row, ContainerInspectJsonContext.Default.ContainerListRow).ReplaceLineEndings("").Replace("  ", ""));
                return 0;
            }
            GoTemplate go = new(template is null or "table"
                ? "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}" + (parse.GetValue(size) ? "\t{{.Size}}" : "")
                : template);
            TableWriter table = new(HeaderOf(go));
            foreach (ContainerListRow row in rows)
            {
                string line = go.Render(JsonSerializer.SerializeToElement(row, ContainerInspectJsonContext.Default.ContainerListRow));
                if (go.IsTable) table.Add(line.Split('\t'));
                else cli.Out.WriteLine(line);
            }
            if (go.IsTable) table.Write(cli.Out);
            return 0;
        });
        return command;
    }

    private static string[] HeaderOf(GoTemplate go) =>
        [.. go.Header().Split('\t').Select(h => h switch { "ID" => "CONTAINER ID", "RUNNING FOR" => "CREATED", _ => h })];

    private static ContainerListRow Row(EngineSession session, Dictionary<string, Skiff.Images.Oci.ContainerConfig?> images, ContainerRecord record, bool trunc, bool size)
    {
        string command = "";
        try
        {
            if (!images.TryGetValue(record.ImageId, out Skiff.Images.Oci.ContainerConfig? image))
                images[record.ImageId] = image = session.Images.GetRootfs(record.ImageId).Config.Config;
            command = string.Join(' ', SpecGenerator.Command(record.Request, image));
        }
        catch (Exception e) when (e is EngineException or ImageException) { }
        if (trunc && command.Length > 20) command = command[..19] + "…";
        return new ContainerListRow
        {
            ID = trunc ? record.ShortId : record.Id,
            Image = record.Request.Image,
            Command = $"\"{command}\"",
            CreatedAt = record.Created.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture),
            RunningFor = Units.Ago(record.Created),
            Status = Status(record.State),
            State = record.State.Status.ToString().ToLowerInvariant(),
            Names = record.Name,
            Labels = string.Join(',', record.Request.Labels.Select(l => $"{l.Key}={l.Value}")),
            Size = size ? Units.HumanSize(UpperSize(session.Engine, record)) : "",
            Networks = Skiff.Engine.Network.NetworkSettingsView.Mode(record),
            // Only a container that asked to publish has ports to show: the rest skip a query and
            // the decoding of their network's wiring.
            Ports = record.Request.Network is { Ports.Count: > 0 } or { PublishAll: true } ? Skiff.Engine.Network.NetworkSettingsView.PortsColumn(session.Engine, record) : "",
        };
    }

    /// <summary>Docker's human status: "Up 3 minutes", "Up 2 seconds (Paused)", "Exited (0) 5 seconds ago", "Created".</summary>
    public static string Status(ContainerState state) => state.Status switch
    {
        ContainerStatus.Running when state.Health is { } health =>
            $"Up {Units.HumanDuration(DateTimeOffset.UtcNow - (state.StartedAt ?? DateTimeOffset.UtcNow))} ({(health.Status == "starting" ? "health: starting" : health.Status)})",
        ContainerStatus.Running => $"Up {Units.HumanDuration(DateTimeOffset.UtcNow - (state.StartedAt ?? DateTimeOffset.UtcNow))}",
        ContainerStatus.Paused => $"Up {Units.HumanDuration(DateTimeOffset.UtcNow - (state.StartedAt ?? DateTimeOffset.UtcNow))} (Paused)",
        ContainerStatus.Restarting => $"Restarting ({state.ExitCode}) {Units.Ago(state.FinishedAt)}",
        ContainerStatus.Exited => $"Exited ({state.ExitCode}) {Units.Ago(state.FinishedAt)}",
        ContainerStatus.Removing => "Removal In Progress",
        ContainerStatus.Dead => "Dead",
        _ => "Created",
    };

    private static long UpperSize(ContainerEngine engine, ContainerRecord record)
    {
        string upper = Path.Combine(engine.Images.Stores.Layout.ContainerLayer(record.Id), "upper");
        if (!Directory.Exists(upper)) return 0;
        return new DirectoryInfo(upper).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Sum(f => f.Length);
    }

    private static IEnumerable<ContainerRecord> Filter(IEnumerable<ContainerRecord> records, string filter, EngineSession session)
    {
        int equals = filter.IndexOf('=');
        if (equals <= 0) throw new EngineException($"invalid filter '{filter}'");
        string key = filter[..equals], value = filter[(equals + 1)..];
        return key switch
        {
            "name" => records.Where(r => r.Name.Contains(value, StringComparison.Ordinal) || FileSystemName.MatchesSimpleExpression(value, r.Name)),
            "id" => records.Where(r => r.Id.StartsWith(value, StringComparison.Ordinal)),
            "status" => value is "created" or "restarting" or "running" or "removing" or "paused" or "exited" or "dead"
                ? records.Where(r => r.State.Status.ToString().Equals(value, StringComparison.OrdinalIgnoreCase))
                : throw new EngineException($"invalid filter 'status={value}'"),
            "label" => records.Where(r => value.IndexOf('=') is int i && i > 0
                ? r.Request.Labels.TryGetValue(value[..i], out string? v) && v == value[(i + 1)..]
                : r.Request.Labels.ContainsKey(value)),
            "ancestor" => records.Where(r => r.Request.Image == value || r.ImageId.StartsWith(value.StartsWith("sha256:", StringComparison.Ordinal) ? value : "sha256:" + value, StringComparison.Ordinal)
                || (TryImageId(session, value) is { } id && id == r.ImageId)),
            "health" => records.Where(r => (r.State.Health?.Status ?? "none") == value),
            "exited" => int.TryParse(value, out int code)
                ? records.Where(r => r.State.Status == ContainerStatus.Exited && r.State.ExitCode == code)
                : throw new EngineException($"invalid filter 'exited={value}'"),
            _ => throw new EngineException($"invalid filter '{key}'"),
        };
    }

    private static string? TryImageId(EngineSession session, string reference)
    {
        try
        {
            return session.Images.GetRootfs(reference).Image.Id;
        }
        catch (ImageException)
        {
            return null;
        }
    }
}
