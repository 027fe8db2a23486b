using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text.Json;
using Skiff.Runc.CommandLine;
using Skiff.Runc.Output;

namespace Skiff.Runc.Verbs;

/// <summary>
/// `ps [--format table|json] ID [ps options...]`. As in runc, flag parsing stops at the container id:
/// everything after it belongs to the host's ps (`ps ID -ef`, `ps ID -o pid,comm`), so this verb reads its
/// own arguments instead of letting the shared flag pass reorder them.
/// </summary>
internal sealed class PsVerb : Verb
{
    private readonly Option<string> _format = new("--format", "-f") { Description = "select one of: table or json (default: \"table\")" };

    public PsVerb() : base("ps", "ps displays the processes running inside a container", 1,
        [ContainerId, ("ps-options", "options for the host's ps (default: -ef)")], moreArguments: true) => Command.Options.Add(_format);

    public override bool TakesRawArguments => true;

    protected override RuncCommand Bind(ParseResult result, string[] arguments)
    {
        string format = "table";
        int i = 0;
        for (; i < arguments.Length; i++)
        {
            string arg = arguments[i];
            if (arg == "--") { i++; break; }
            if (arg.Length < 2 || arg[0] != '-') break;
            string body = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            int equals = body.IndexOf('=');
            string name = equals < 0 ? body : body[..equals];
            if (name is "help" or "h") return Help(result);
            if (name is not ("format" or "f")) throw new CliException($"flag provided but not defined: -{name}");
            if (equals >= 0) format = body[(equals + 1)..];
            else if (i + 1 < arguments.Length) format = arguments[++i];
            else throw new CliException($"flag needs an argument: -{name}");
        }
        if (format is not ("table" or "json")) throw new CliException($"invalid format option \"{format}\": expected table or json");
        if (i >= arguments.Length) throw new CliException("\"ps\" requires a minimum of 1 argument(s), got 0");
        return new PsCommand(arguments[i], format == "json", string.Join('\u0000', arguments[(i + 1)..]));
    }

    /// <summary>The shared pass never saw `--help` here (it reads no flags of this verb), so the page is asked for now.</summary>
    private HelpCommand Help(ParseResult result)
    {
        Command root = result.RootCommandResult.Command;
        if (!root.Options.OfType<HelpOption>().Any()) root.Options.Add(new HelpOption { Recursive = true });
        return new HelpCommand(root.Parse([Name, GoFlagSyntax.HelpToken]));
    }
}

/// <param name="PsArguments">The host ps's arguments, NUL-separated (a record compares strings by value, not arrays).</param>
internal sealed record PsCommand(string Id, bool Json, string PsArguments = "") : RuncCommand
{
    public IReadOnlyList<string> PsArgumentList => PsArguments.Length == 0 ? ["-ef"] : PsArguments.Split('\u0000');

    public override int Execute(RuncSession session)
    {
        IReadOnlyList<int> pids = session.Runtime.Processes(Id);
        if (Json)
        {
            session.Out.Write(JsonSerializer.Serialize(pids, EventJsonContext.Default.IReadOnlyListInt32) + "\n");
            return 0;
        }
        session.Out.Write(Filter(HostPs.Run(PsArgumentList), pids));
        return 0;
    }

    /// <summary>The header line, then the lines whose PID column names one of <paramref name="pids"/>.</summary>
    internal static string Filter(string psOutput, IReadOnlyList<int> pids)
    {
        string[] lines = psOutput.Split('\n');
        string[] header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int pidColumn = Array.IndexOf(header, "PID");
        if (pidColumn < 0) throw new CliException("couldn't find PID field in ps output");
        var wanted = new HashSet<int>(pids);
        var output = new System.Text.StringBuilder(lines[0]).Append('\n');
        foreach (string line in lines.AsSpan(1))
        {
            if (line.Length == 0) continue;
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (pidColumn >= fields.Length || !int.TryParse(fields[pidColumn], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                throw new CliException($"unable to parse pid from ps output line \"{line.Trim()}\"");
            if (wanted.Contains(pid)) output.Append(line).Append('\n');
        }
        return output.ToString();
    }
}
