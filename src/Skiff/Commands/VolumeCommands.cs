using System.CommandLine;
using System.Text.Json;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Volumes;

namespace Skiff.Commands;

/// <summary>skiff volume create | ls | inspect | rm | prune, as Docker's (local driver).</summary>
public static class VolumeCommands
{
    public static Command Create(CliContext cli)
    {
        Command volume = new("volume", "Manage volumes");
        volume.Subcommands.Add(CreateVerb(cli));
        Command ls = List(cli);
        ls.Aliases.Add("list");
        volume.Subcommands.Add(ls);
        volume.Subcommands.Add(Inspect(cli));
        Command rm = Remove(cli);
        rm.Aliases.Add("remove");
        volume.Subcommands.Add(rm);
        volume.Subcommands.Add(Prune(cli));
        return volume;
    }

    private static Command CreateVerb(CliContext cli)
    {
        Argument<string?> positional = new("VOLUME") { Arity = ArgumentArity.ZeroOrOne, Description = "The volume's name (default: 64 random hex digits)" };
        Option<string?> name = new("--name") { Description = "Specify volume name" };
        Option<string> driver = new("--driver", "-d") { Description = "Specify volume driver name", DefaultValueFactory = _ => "local" };
        Option<string[]> opts = new("--opt", "-o") { Description = "Set driver specific options (type=, device=, o=)" };
        Option<string[]> labels = new("--label", "-l") { Description = "Set metadata for a volume" };
        Command command = new("create", "Create a volume") { positional, name, driver, opts, labels };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            string? given = parse.GetValue(positional), flag = parse.GetValue(name);
            if (given is not null && flag is not null && given != flag)
                throw new EngineException("conflicting options: either specify --name or provide positional arg, not both");
            Dictionary<string, string> options = VolumeOptions.FromPairs(parse.GetValue(opts) ?? [], "-o, --opt");
            Dictionary<string, string> labelMap = new(StringComparer.Ordinal);
            foreach (string label in parse.GetValue(labels) ?? [])
            {
                int equals = label.IndexOf('=');
                labelMap[equals < 0 ? label : label[..equals]] = equals < 0 ? "" : label[(equals + 1)..];
            }
            using EngineSession session = cli.Engine(parse);
            VolumeRecord created = session.Engine.Volumes.Create(given ?? flag, parse.GetValue(driver)!, options, labelMap);
            cli.Out.WriteLine(created.Name);
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        Option<bool> quiet = new("--quiet", "-q") { Description = "Only display volume names" };
        Option<string[]> filters = new("--filter", "-f") { Description = "Provide filter values (dangling=true, name=, label=, driver=)" };
        Option<string?> format = new("--format") { Description = "Format output: table, json, or a Go template" };
        Command command = new("ls", "List volumes") { quiet, filters, format };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            using EngineSession session = cli.Engine(parse);
            VolumeStore store = session.Engine.Volumes;
            HashSet<string> used = store.InUse();
            IEnumerable<VolumeRecord> volumes = store.List();
            foreach (string filter in parse.GetValue(filters) ?? []) volumes = Filter(volumes, filter, used, allowAll: false);
            List<VolumeListRow> rows = [.. volumes.Select(v => new VolumeListRow
            {
                Driver = v.Driver,
                Labels = string.Join(',', v.Labels.Select(l => $"{l.Key}={l.Value}")),
                Mountpoint = store.DataPath(v.Name),
                Name = v.Name,
            })];
            ObjectVerbs.List(cli, rows, VolumeJsonContext.Default.VolumeListRow, parse.GetValue(quiet), r => r.Name, parse.GetValue(format),
                "table {{.Driver}}\t{{.Name}}", h => h == "NAME" ? "VOLUME NAME" : h);
            return 0;
        }));
        return command;
    }

    private static Command Inspect(CliContext cli)
    {
        Argument<string[]> names = new("VOLUME") { Arity = ArgumentArity.OneOrMore };
        Option<string?> format = new("--format", "-f") { Description = "Format output with a Go template, or json" };
        Command command = new("inspect", "Display detailed information on one or more volumes") { names, format };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            using EngineSession session = cli.Engine(parse);
            List<VolumeInspect> found = [];
            int exit = ObjectVerbs.EachName(cli, parse.GetValue(names)!, name => found.Add(session.Engine.Volumes.Inspect(name)));
            InspectOutput.Write(cli.Out, found, parse.GetValue(format), VolumeJsonContext.Default.ListVolumeInspect, VolumeJsonContext.Default.VolumeInspect);
            return exit;
        }));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        Argument<string[]> names = new("VOLUME") { Arity = ArgumentArity.OneOrMore };
        Option<bool> force = new("--force", "-f") { Description = "Force the removal of one or more volumes (an unknown name is no error)" };
        Command command = new("rm", "Remove one or more volumes") { names, force };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            return ObjectVerbs.EachName(cli, parse.GetValue(names)!, name =>
            {
                session.Engine.Volumes.Remove(name, parse.GetValue(force));
                cli.Out.WriteLine(name);
            });
        });
        return command;
    }

    private static Command Prune(CliContext cli)
    {
        Option<bool> all = new("--all", "-a") { Description = "Remove all unused volumes, not just anonymous ones" };
        Option<bool> force = new("--force", "-f") { Description = "Do not prompt for confirmation" };
        Option<string[]> filters = new("--filter") { Description = "Provide filter values (label=, label!=, all=true)" };
        Command command = new("prune", "Remove unused local volumes") { all, force, filters };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            string[] given = parse.GetValue(filters) ?? [];
            bool everything = parse.GetValue(all) || given.Any(f => f is "all=true" or "all=1");
            // Checked before the prompt: a bad filter is an error, not a question.
            foreach (string filter in given) Filter([], filter, [], allowAll: true).ToList();
            if (!ObjectVerbs.Confirm(cli, parse.GetValue(force), everything
                    ? "This will remove all local volumes not used by at least one container."
                    : "This will remove anonymous local volumes not used by at least one container.")) return 0;
            using EngineSession session = cli.Engine(parse);
            (List<string> removed, long reclaimed) = session.Engine.Volumes.Prune(everything,
                v => given.Aggregate((IEnumerable<VolumeRecord>)[v], (set, filter) => Filter(set, filter, [], allowAll: true)).Any());
            ObjectVerbs.Deleted(cli, "Deleted Volumes:", removed);
            if (removed.Count > 0) cli.Out.WriteLine();
            cli.Out.WriteLine($"Total reclaimed space: {Units.HumanSize(reclaimed)}");
            return 0;
        }));
        return command;
    }

    /// <summary>Docker's volume filters: name= (a regular expression), label=K[=V], label!=K[=V], driver=, dangling=true|false.</summary>
    private static IEnumerable<VolumeRecord> Filter(IEnumerable<VolumeRecord> volumes, string filter, HashSet<string> used, bool allowAll)
    {
        (string key, string value, bool negated) = ObjectVerbs.Filter(filter);
        return key switch
        {
            "name" when !allowAll => volumes.Where(v => ObjectVerbs.NameMatches(value, v.Name)),
            "driver" => volumes.Where(v => v.Driver == value),
            "label" => volumes.Where(v => ObjectVerbs.LabelMatches(v.Labels, value) != negated),
            "dangling" when !allowAll => value.ToLowerInvariant() switch
            {
                "true" or "1" => volumes.Where(v => !used.Contains(v.Name)),
                "false" or "0" => volumes.Where(v => used.Contains(v.Name)),
                _ => throw new EngineException($"invalid filter 'dangling={value}'"),
            },
            "all" when allowAll => value is "true" or "1" or "false" or "0" ? volumes : throw new EngineException($"invalid filter 'all={value}'"),
            _ => throw new EngineException($"invalid filter '{key}'"),
        };
    }
}
