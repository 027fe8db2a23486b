using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Inspect;
using Skiff.Engine.Stats;

namespace Skiff.Commands.Containers;

/// <summary>rename, port, top, stats, update and container prune.</summary>
public static class InfoCommands
{
    public static Command Rename(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER");
        Argument<string> newName = new("NEW_NAME");
        Command command = new(name, "Rename a container") { container, newName };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            session.Engine.Rename(parse.GetValue(container)!, parse.GetValue(newName)!);
            return 0;
        });
        return command;
    }

    /// <summary>docker port: "80/tcp -> 0.0.0.0:8080" per mapping, or the host addresses of one container port.</summary>
    public static Command Port(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER");
        Argument<string?> port = new("PRIVATE_PORT[/PROTO]") { Arity = ArgumentArity.ZeroOrOne };
        Command command = new(name, "List port mappings or a specific mapping for the container") { container, port };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            ContainerRecord record = session.Engine.Resolve(parse.GetValue(container)!);
            string? asked = parse.GetValue(port) is { } p ? (p.Contains('/') ? p : p + "/tcp") : null;
            Dictionary<string, List<PortBinding>?> ports = Skiff.Engine.Network.NetworkSettingsView.Settings(session.Engine, record).Ports;
            bool found = false;
            foreach ((string key, List<PortBinding>? bindings) in ports)
            {
                if (bindings is null || (asked is not null && key != asked)) continue;
                foreach (PortBinding binding in bindings)
                {
                    string where = binding.HostIp.Contains(':') ? $"[{binding.HostIp}]" : binding.HostIp;
                    cli.Out.WriteLine(asked is null ? $"{key} -> {where}:{binding.HostPort}" : $"{where}:{binding.HostPort}");
                    found = true;
                }
            }
            if (asked is not null && !found)
                throw new EngineException($"No public port '{asked}' published for {record.Name}", 1);
            return 0;
        });
        return command;
    }

    /// <summary>docker top: the host's ps (its options, default -ef) limited to the container's processes.</summary>
    public static Command Top(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER");
        Argument<string[]> options = new("PS_OPTIONS") { Arity = ArgumentArity.ZeroOrMore };
        Command command = new(name, "Display the running processes of a container") { container, options };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            ContainerRecord record = session.Engine.Resolve(parse.GetValue(container)!);
            if (record.State.Status is not (ContainerStatus.Running or ContainerStatus.Paused))
                throw new EngineException($"container {record.Id} is not running", 1);
            HashSet<int> pids = [.. session.Engine.Processes(record)];
            string[] psArgs = parse.GetValue(options) is { Length: > 0 } given ? given : ["-ef"];
            ProcessStartInfo start = new("ps") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in psArgs) start.ArgumentList.Add(arg);
            using Process ps = Process.Start(start)!;
            string output = ps.StandardOutput.ReadToEnd();
            string error = ps.StandardError.ReadToEnd();
            ps.WaitForExit();
            if (ps.ExitCode != 0) throw new EngineException($"Error running ps: {error.Trim()}", 1);
            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            int column = Array.IndexOf(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries), "PID");
            if (column < 0) throw new EngineException("Couldn't find PID field in ps output", 1);
            cli.Out.WriteLine(lines[0]);
            foreach (string line in lines.Skip(1))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > column && int.TryParse(fields[column], out int pid) && pids.Contains(pid)) cli.Out.WriteLine(line);
            }
            return 0;
        });
        return command;
    }

    public static Command Stats(CliContext cli, string name)
    {
        Argument<string[]> containers = new("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        Option<bool> all = new("--all", "-a") { Description = "Show all containers (default shows just running)" };
        Option<bool> noStream = new("--no-stream") { Description = "Disable streaming stats and only pull the first result" };
        Option<bool> noTrunc = new("--no-trunc") { Description = "Do not truncate output" };
        Option<string?> format = new("--format") { Description = "Format output: table, json, or a Go template" };
        Command command = new(name, "Display a live stream of container(s) resource usage statistics") { containers, all, noStream, noTrunc, format };
        command.SetAction((parse, cancellationToken) =>
        {
            using EngineSession session = cli.Engine(parse);
            string[] named = parse.GetValue(containers) ?? [];
            List<ContainerRecord> records = named.Length > 0
                ? [.. named.Select(session.Engine.Resolve)]
                : [.. session.Engine.List().Where(r => parse.GetValue(all) || r.State.Status is ContainerStatus.Running or ContainerStatus.Paused)];
            string? template = parse.GetValue(format);
            GoTemplate go = new(template is null or "table" or "json" ? "table {{.Container}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}" : template);
            bool live = !parse.GetValue(noStream);
            Dictionary<string, StatsSample?> previous = records.ToDictionary(r => r.Id, r => Sample(session.Engine, r));
            do
            {
                Thread.Sleep(live ? 1000 : 500);
                List<StatsRow> rows = [];
                foreach (ContainerRecord record in records)
                {
                    StatsSample? now = Sample(session.Engine, record);
                    rows.Add(ContainerStatsReader.Row(record, previous[record.Id], now, !parse.GetValue(noTrunc)));
                    previous[record.Id] = now;
                }
                if (live && cli.OutputIsTerminal) cli.Out.Write("\u001b[2J\u001b[H");
                if (template == "json")
                    foreach (StatsRow row in rows) cli.Out.WriteLine(JsonSerializer.Serialize(row, ContainerInspectJsonContext.Default.StatsRow).ReplaceLineEndings("").Replace("  ", ""));
                else
                {
                    TableWriter table = new([.. go.Header().Split('\t').Select(h => h switch { "CONTAINER" => "CONTAINER ID", "CPUPERC" => "CPU %", "MEM USAGE" or "MEMUSAGE" => "MEM USAGE / LIMIT", "MEMPERC" or "MEM PERC" => "MEM %", "NETIO" or "NET IO" => "NET I/O", "BLOCKIO" or "BLOCK IO" => "BLOCK I/O", _ => h })]);
                    foreach (StatsRow row in rows)
                    {
                        string line = go.Render(JsonSerializer.SerializeToElement(row, ContainerInspectJsonContext.Default.StatsRow));
                        if (go.IsTable) table.Add(line.Split('\t'));
                        else cli.Out.WriteLine(line);
                    }
                    if (go.IsTable) table.Write(cli.Out);
                }
                cli.Out.Flush();
            }
            while (live && !cancellationToken.IsCancellationRequested);
            return Task.FromResult(0);
        });
        return command;
    }

    private static StatsSample? Sample(ContainerEngine engine, ContainerRecord record) =>
        record.State.Status is ContainerStatus.Running or ContainerStatus.Paused ? ContainerStatsReader.Sample(engine, record) : null;

    public static Command Update(CliContext cli, string name)
    {
        Argument<string[]> containers = new("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        Option<string?> memory = new("--memory", "-m") { Description = "Memory limit" };
        Option<string?> memorySwap = new("--memory-swap") { Description = "Swap limit equal to memory plus swap: -1 to enable unlimited swap" };
        Option<string?> memoryReservation = new("--memory-reservation") { Description = "Memory soft limit" };
        Option<string?> cpus = new("--cpus") { Description = "Number of CPUs" };
        Option<ulong?> cpuShares = new("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
        Option<string?> cpusetCpus = new("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)" };
        Option<long?> pidsLimit = new("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
        Option<string?> restart = new("--restart") { Description = "Restart policy to apply when a container exits" };
        Command command = new(name, "Update configuration of one or more containers") { containers, memory, memorySwap, memoryReservation, cpus, cpuShares, cpusetCpus, pidsLimit, restart };
        command.SetAction(parse =>
        {
            ResourceRequest resources = new()
            {
                Memory = parse.GetValue(memory) is { } m ? ByteSize.Parse(m, "--memory") : null,
                MemorySwap = parse.GetValue(memorySwap) switch { null => null, "-1" => -1, { } s => ByteSize.Parse(s, "--memory-swap") },
                MemoryReservation = parse.GetValue(memoryReservation) is { } r ? ByteSize.Parse(r, "--memory-reservation") : null,
                NanoCpus = parse.GetValue(cpus) is { } c ? CreateFlags.ParseCpus(c) : null,
                CpuShares = parse.GetValue(cpuShares),
                CpusetCpus = parse.GetValue(cpusetCpus),
                PidsLimit = parse.GetValue(pidsLimit),
            };
            RestartPolicy? policy = parse.GetValue(restart) is { } text ? CreateFlags.ParseRestart(text) : null;
            using EngineSession session = cli.Engine(parse);
            int exit = 0;
            foreach (string reference in parse.GetValue(containers)!)
            {
                try
                {
                    session.Engine.Update(reference, resources, policy);
                    cli.Out.WriteLine(reference);
                }
                catch (EngineException e)
                {
                    cli.Error.WriteLine($"Error response from daemon: {e.Message}");
                    exit = 1;
                }
            }
            return exit;
        });
        return command;
    }

    public static Command Prune(CliContext cli, string name)
    {
        Option<bool> force = new("--force", "-f") { Description = "Do not prompt for confirmation" };
        Option<string[]> filters = new("--filter") { Description = "Provide filter values (until=DURATION|TIMESTAMP, label=K[=V])" };
        Command command = new(name, "Remove all stopped containers") { force, filters };
        command.SetAction(parse =>
        {
            if (!parse.GetValue(force))
            {
                if (!cli.InputIsTerminal) throw new EngineException("prune needs --force when standard input is not a terminal", 1);
                cli.Out.Write("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
                if (cli.In.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes")) return 0;
            }
            List<Func<ContainerRecord, bool>> tests = [];
            foreach (string filter in parse.GetValue(filters) ?? [])
            {
                int equals = filter.IndexOf('=');
                string key = equals < 0 ? filter : filter[..equals], value = equals < 0 ? "" : filter[(equals + 1)..];
                tests.Add(key switch
                {
                    "until" => r => r.Created < LogsCommand.ParseTime(value, "--filter until"),
                    "label" => r => value.IndexOf('=') is int i && i > 0 ? r.Request.Labels.TryGetValue(value[..i], out string? v) && v == value[(i + 1)..] : r.Request.Labels.ContainsKey(value),
                    _ => throw new EngineException($"invalid filter '{key}'"),
                });
            }
            using EngineSession session = cli.Engine(parse);
            List<string> removed = session.Engine.Prune(r => tests.All(t => t(r)));
            if (removed.Count > 0)
            {
                cli.Out.WriteLine("Deleted Containers:");
                foreach (string id in removed) cli.Out.WriteLine(id);
                cli.Out.WriteLine();
            }
            cli.Out.WriteLine("Total reclaimed space: 0B");
            return 0;
        });
        return command;
    }
}
