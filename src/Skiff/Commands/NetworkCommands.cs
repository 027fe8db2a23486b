using System.CommandLine;
using System.Text.Json;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Network;

namespace Skiff.Commands;

/// <summary>skiff network create | ls | inspect | rm | prune | connect | disconnect, as Docker's.</summary>
public static class NetworkCommands
{
    public static Command Create(CliContext cli)
    {
        Command network = new("network", "Manage networks");
        network.Subcommands.Add(CreateVerb(cli));
        Command ls = List(cli);
        ls.Aliases.Add("list");
        network.Subcommands.Add(ls);
        network.Subcommands.Add(Inspect(cli));
        Command rm = Remove(cli);
        rm.Aliases.Add("remove");
        network.Subcommands.Add(rm);
        network.Subcommands.Add(Prune(cli));
        network.Subcommands.Add(Connect(cli));
        network.Subcommands.Add(Disconnect(cli));
        return network;
    }

    private static Command CreateVerb(CliContext cli)
    {
        Argument<string> name = new("NETWORK") { Description = "The network's name" };
        Option<string> driver = new("--driver", "-d") { Description = "Driver to manage the Network (bridge, macvlan, ipvlan)", DefaultValueFactory = _ => "bridge" };
        Option<string[]> subnet = new("--subnet") { Description = "Subnet in CIDR format that represents a network segment" };
        Option<string[]> gateway = new("--gateway") { Description = "IPv4 or IPv6 Gateway for the master subnet" };
        Option<string[]> ipRange = new("--ip-range") { Description = "Allocate container ip from a sub-range" };
        Option<bool> isInternal = new("--internal") { Description = "Restrict external access to the network" };
        Option<bool> ipv6 = new("--ipv6") { Description = "Enable IPv6 networking" };
        Option<bool> disableDns = new("--disable-dns") { Description = "Disable name resolution on the network" };
        Option<string[]> opts = new("--opt", "-o") { Description = "Set driver specific options (mtu=, parent=, mode=, isolate=)" };
        Option<string[]> labels = new("--label", "-l") { Description = "Set metadata on a network" };
        Command command = new("create", "Create a network") { name, driver, subnet, gateway, ipRange, isInternal, ipv6, disableDns, opts, labels };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            NetworkCreateRequest request = new()
            {
                Name = parse.GetValue(name)!,
                Driver = parse.GetValue(driver)!,
                Subnets = [.. parse.GetValue(subnet) ?? []],
                Gateways = [.. parse.GetValue(gateway) ?? []],
                IpRanges = [.. parse.GetValue(ipRange) ?? []],
                Internal = parse.GetValue(isInternal),
                Ipv6 = parse.GetValue(ipv6),
                DisableDns = parse.GetValue(disableDns),
                Options = Pairs(parse.GetValue(opts) ?? [], "--opt"),
                Labels = Pairs(parse.GetValue(labels) ?? [], "--label"),
            };
            using EngineSession session = cli.Engine(parse);
            cli.Out.WriteLine(session.Engine.Networks.Create(request).Id);
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        Option<bool> quiet = new("--quiet", "-q") { Description = "Only display network IDs" };
        Option<bool> noTrunc = new("--no-trunc") { Description = "Do not truncate the output" };
        Option<string[]> filters = new("--filter", "-f") { Description = "Provide filter values (name=, id=, driver=, label=, type=custom|builtin, dangling=)" };
        Option<string?> format = new("--format") { Description = "Format output: table, json, or a Go template" };
        Command command = new("ls", "List networks") { quiet, noTrunc, filters, format };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            using EngineSession session = cli.Engine(parse);
            IEnumerable<NetworkDefinition> networks = session.Engine.Networks.List();
            foreach (string filter in parse.GetValue(filters) ?? []) networks = Filter(networks, filter, session.Engine.Networks, prune: false);
            bool full = parse.GetValue(noTrunc);
            List<NetworkListRow> rows = [.. networks.Select(n => new NetworkListRow
            {
                ID = full ? n.Id : n.Id[..12],
                Name = n.Name,
                Driver = n.Driver,
                IPv6 = n.Ipv6 ? "true" : "false",
                Internal = n.Internal ? "true" : "false",
                Labels = string.Join(',', n.Labels.Select(l => $"{l.Key}={l.Value}")),
                CreatedAt = n.Created.ToString("yyyy-MM-dd HH:mm:ss.fffffff zzz", System.Globalization.CultureInfo.InvariantCulture),
            })];
            ObjectVerbs.List(cli, rows, NetworkInspectJsonContext.Default.NetworkListRow, parse.GetValue(quiet), r => r.ID, parse.GetValue(format),
                "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", h => h == "ID" ? "NETWORK ID" : h);
            return 0;
        }));
        return command;
    }

    private static Command Inspect(CliContext cli)
    {
        Argument<string[]> names = new("NETWORK") { Arity = ArgumentArity.OneOrMore };
        Option<string?> format = new("--format", "-f") { Description = "Format output with a Go template, or json" };
        Command command = new("inspect", "Display detailed information on one or more networks") { names, format };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            using EngineSession session = cli.Engine(parse);
            List<NetworkInspect> found = [];
            int exit = ObjectVerbs.EachName(cli, parse.GetValue(names)!, name => found.Add(session.Engine.InspectNetwork(name)));
            InspectOutput.Write(cli.Out, found, parse.GetValue(format), NetworkInspectJsonContext.Default.ListNetworkInspect, NetworkInspectJsonContext.Default.NetworkInspect);
            return exit;
        }));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        Argument<string[]> names = new("NETWORK") { Arity = ArgumentArity.OneOrMore };
        Option<bool> force = new("--force", "-f") { Description = "Do not error if the network does not exist" };
        Command command = new("rm", "Remove one or more networks") { names, force };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            return ObjectVerbs.EachName(cli, parse.GetValue(names)!, name =>
            {
                session.Engine.RemoveNetwork(name, parse.GetValue(force));
                cli.Out.WriteLine(name);
            });
        });
        return command;
    }

    private static Command Prune(CliContext cli)
    {
        Option<bool> force = new("--force", "-f") { Description = "Do not prompt for confirmation" };
        Option<string[]> filters = new("--filter") { Description = "Provide filter values (label=, label!=)" };
        Command command = new("prune", "Remove all unused networks") { force, filters };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            string[] given = parse.GetValue(filters) ?? [];
            using EngineSession session = cli.Engine(parse);
            foreach (string filter in given) Filter([], filter, session.Engine.Networks, prune: true).ToList();
            if (!ObjectVerbs.Confirm(cli, parse.GetValue(force), "This will remove all custom networks not used by at least one container.")) return 0;
            List<string> removed = session.Engine.PruneNetworks(n => given.Aggregate((IEnumerable<NetworkDefinition>)[n], (set, f) => Filter(set, f, session.Engine.Networks, prune: true)).Any());
            ObjectVerbs.Deleted(cli, "Deleted Networks:", removed);
            return 0;
        }));
        return command;
    }

    private static Command Connect(CliContext cli)
    {
        Argument<string> network = new("NETWORK");
        Argument<string> container = new("CONTAINER");
        Option<string[]> alias = new("--alias") { Description = "Add network-scoped alias for the container" };
        Option<string?> ip = new("--ip") { Description = "IPv4 address (e.g., 172.30.100.104)" };
        Option<string?> ip6 = new("--ip6") { Description = "IPv6 address (e.g., 2001:db8::33)" };
        Command command = new("connect", "Connect a container to a network") { network, container, alias, ip, ip6 };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            using EngineSession session = cli.Engine(parse);
            session.Engine.ConnectNetwork(parse.GetValue(network)!, parse.GetValue(container)!,
                new NetworkChoice { Aliases = [.. parse.GetValue(alias) ?? []], Ipv4 = parse.GetValue(ip), Ipv6 = parse.GetValue(ip6) });
            return 0;
        }));
        return command;
    }

    private static Command Disconnect(CliContext cli)
    {
        Argument<string> network = new("NETWORK");
        Argument<string> container = new("CONTAINER");
        Option<bool> force = new("--force", "-f") { Description = "Force the container to disconnect from a network" };
        Command command = new("disconnect", "Disconnect a container from a network") { network, container, force };
        command.SetAction(parse => ObjectVerbs.Daemon(cli, () =>
        {
            using EngineSession session = cli.Engine(parse);
            session.Engine.DisconnectNetwork(parse.GetValue(network)!, parse.GetValue(container)!);
            return 0;
        }));
        return command;
    }

    private static Dictionary<string, string> Pairs(string[] items, string flag)
    {
        Dictionary<string, string> pairs = new(StringComparer.Ordinal);
        foreach (string item in items)
        {
            int equals = item.IndexOf('=');
            if (flag == "--opt" && equals <= 0) throw new EngineException($"invalid argument \"{item}\" for \"{flag}\" flag: expected KEY=VALUE");
            pairs[equals < 0 ? item : item[..equals]] = equals < 0 ? "" : item[(equals + 1)..];
        }
        return pairs;
    }

    /// <summary>Docker's network filters: name= (a regular expression), id= (a prefix), driver=, label=K[=V], label!=, type=custom|builtin, dangling=.</summary>
    private static IEnumerable<NetworkDefinition> Filter(IEnumerable<NetworkDefinition> networks, string filter, NetworkStore store, bool prune)
    {
        (string key, string value, bool negated) = ObjectVerbs.Filter(filter);
        return key switch
        {
            "label" => networks.Where(n => ObjectVerbs.LabelMatches(n.Labels, value) != negated),
            "until" when prune => networks.Where(n => n.Created < Until(value)),
            "name" when !prune => networks.Where(n => ObjectVerbs.NameMatches(value, n.Name)),
            "id" when !prune => networks.Where(n => n.Id.StartsWith(value, StringComparison.Ordinal)),
            "driver" when !prune => networks.Where(n => n.Driver == value),
            "type" when !prune => value switch
            {
                "custom" => networks.Where(n => n.Name != NetworkStore.DefaultName),
                "builtin" => networks.Where(n => n.Name == NetworkStore.DefaultName),
                _ => throw new EngineException($"invalid filter: 'type'='{value}'"),
            },
            "dangling" when !prune => value.ToLowerInvariant() switch
            {
                "true" or "1" => networks.Where(n => n.Name != NetworkStore.DefaultName && !store.InUse(n)),
                "false" or "0" => networks.Where(n => n.Name == NetworkStore.DefaultName || store.InUse(n)),
                _ => throw new EngineException($"invalid filter 'dangling={value}'"),
            },
            _ => throw new EngineException($"invalid filter '{key}'"),
        };
    }

    private static DateTimeOffset Until(string value) =>
        long.TryParse(value, out long seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds)
        : DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out DateTimeOffset at) ? at
        : throw new EngineException($"invalid filter 'until={value}'");
}
