using System.CommandLine;
using System.Text.Json;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Inspect;
using Skiff.Images.Oci;

namespace Skiff.Commands;

/// <summary>skiff history [-H=false] [--no-trunc] [-q] [--format F] IMAGE</summary>
public static class HistoryCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> image = new("IMAGE") { Description = "The image (name, digest or id)" };
        Option<bool> human = new("--human", "-H") { Description = "Print sizes and dates in human readable format", DefaultValueFactory = _ => true };
        Option<bool> noTrunc = new("--no-trunc") { Description = "Don't truncate output" };
        Option<bool> quiet = new("--quiet", "-q") { Description = "Only show image IDs" };
        Option<string?> format = new("--format") { Description = "Format output: table, json, or a Go template" };
        Command command = new(name, "Show the history of an image") { image, human, noTrunc, quiet, format };
        command.SetAction((parse, _) =>
        {
            using ImageService service = cli.Service(parse);
            bool full = parse.GetValue(noTrunc), humanUnits = parse.GetValue(human);
            List<HistoryRow> rows = service.History(parse.GetValue(image)!);
            string Id(HistoryRow row) => row.Id == "<missing>" || full ? row.Id : Digest.Parse(row.Id).Short;
            if (parse.GetValue(quiet))
            {
                foreach (HistoryRow row in rows) cli.Out.WriteLine(Id(row));
                return Task.FromResult(0);
            }
            string? template = parse.GetValue(format);
            if (template is { Length: > 0 } && template != "table")
            {
                GoTemplate go = new(template == "json" ? "{{json .}}" : template);
                foreach (HistoryRow row in rows)
                {
                    HistoryListRow listed = new()
                    {
                        Id = Id(row),
                        CreatedAt = row.Created?.ToString("yyyy-MM-dd'T'HH:mm:ssK") ?? "",
                        CreatedSince = Units.Ago(row.Created),
                        CreatedBy = row.CreatedBy,
                        Size = Units.HumanSize(row.Size),
                        Comment = row.Comment,
                        Tags = string.Join(", ", row.Tags),
                    };
                    cli.Out.WriteLine(go.Render(JsonSerializer.SerializeToElement(listed, ListJsonContext.Default.HistoryListRow)));
                }
                return Task.FromResult(0);
            }
            TableWriter table = new("IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
            foreach (HistoryRow row in rows)
            {
                string createdBy = row.CreatedBy.Replace('\t', ' ');
                if (!full && createdBy.Length > 45) createdBy = createdBy[..44] + "…";
                table.Add(Id(row),
                    humanUnits ? Units.Ago(row.Created) : row.Created?.ToString("yyyy-MM-dd'T'HH:mm:ssK") ?? "",
                    createdBy,
                    humanUnits ? Units.HumanSize(row.Size) : row.Size.ToString(),
                    row.Comment);
            }
            table.Write(cli.Out);
            return Task.FromResult(0);
        });
        return command;
    }
}
