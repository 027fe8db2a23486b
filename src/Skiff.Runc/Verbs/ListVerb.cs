using System.CommandLine;
using System.Text.Json;
using Skiff.Oci.Runtime;
using Skiff.Runc.CommandLine;
using Skiff.Runc.Go;
using Skiff.Runc.Output;
using Skiff.Runtime;

namespace Skiff.Runc.Verbs;

internal enum ListFormat { Table, Json }

internal sealed class ListVerb : Verb
{
    private readonly Option<string> _format = new("--format", "-f")
    {
        Description = "select one of: table or json (default: \"table\")",
    };

    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "display only container IDs" };

    public ListVerb() : base("list", "lists containers started by skiff-runc with the given root", 0, [])
    {
        Command.Options.Add(_format);
        Command.Options.Add(_quiet);
    }

    protected override RuncCommand Bind(ParseResult result, string[] arguments)
    {
        ListFormat format = result.GetValue(_format) switch
        {
            null or "table" => ListFormat.Table,
            "json" => ListFormat.Json,
            string other => throw new CliException($"invalid format option \"{other}\": expected table or json"),
        };
        return new ListCommand(format, result.GetValue(_quiet));
    }
}

/// <summary>`list`: runc's table (ID PID STATUS BUNDLE CREATED OWNER), its JSON, or bare IDs.</summary>
internal sealed record ListCommand(ListFormat Format, bool Quiet) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        IReadOnlyList<ContainerSummary> containers = session.Runtime.List();
        if (Quiet)
        {
            foreach (ContainerSummary container in containers) session.Out.Write(container.State.Id + "\n");
            return 0;
        }
        session.Out.Write(Format == ListFormat.Json ? Json(containers) : Table(containers));
        return 0;
    }

    internal static string Table(IReadOnlyList<ContainerSummary> containers)
    {
        var rows = new List<string[]>(containers.Count + 1) { new[] { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" } };
        foreach (ContainerSummary c in containers)
            rows.Add([c.State.Id, c.State.Pid.ToString(), c.State.Status, c.State.Bundle, GoText.Rfc3339Nano(c.Created.ToUniversalTime()), c.Owner]);
        return ContainerTable.Format(rows);
    }

    internal static string Json(IReadOnlyList<ContainerSummary> containers)
    {
        var listed = new List<ListedContainer>(containers.Count);
        foreach (ContainerSummary c in containers)
        {
            listed.Add(new ListedContainer
            {
                OciVersion = c.State.OciVersion,
                Id = c.State.Id,
                Pid = c.State.Pid,
                Status = c.State.Status,
                Bundle = c.State.Bundle,
                Rootfs = c.Rootfs,
                Created = GoText.Rfc3339Nano(c.Created.ToUniversalTime()),
                Annotations = c.State.Annotations is { Count: > 0 } annotations ? annotations : null,
                Owner = c.Owner,
            });
        }
        return JsonSerializer.Serialize(listed, RuncJsonContext.Default.ListListedContainer) + "\n";
    }
}
