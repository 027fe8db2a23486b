using System.CommandLine;
using System.IO.Enumeration;
using System.Text.Json;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Inspect;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Store;

namespace Skiff.Commands;

/// <summary>skiff images [-a] [--digests] [--no-trunc] [-q] [--format F] [-f FILTER] [REPOSITORY[:TAG]]</summary>
public static class ImagesCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string?> repository = new("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne, Description = "Only images of this repository" };
        Option<bool> all = new("--all", "-a") { Description = "Show all images (there are no intermediate images to hide)" };
        Option<bool> digests = new("--digests") { Description = "Show digests" };
        Option<bool> noTrunc = new("--no-trunc") { Description = "Don't truncate output" };
        Option<bool> quiet = new("--quiet", "-q") { Description = "Only show image IDs" };
        Option<string?> format = new("--format") { Description = "Format output: table, json, or a Go template" };
        Option<string[]> filters = new("--filter", "-f") { Description = "Filter output (dangling=true|false, reference=PATTERN)" };
        Command command = new(name, "List images") { repository, all, digests, noTrunc, quiet, format, filters };
        command.SetAction((parse, _) =>
        {
            using ImageService service = cli.Service(parse);
            List<ImageListRow> rows = Rows(service, parse.GetValue(noTrunc));
            rows = Filter(rows, service, parse.GetValue(repository), parse.GetValue(filters) ?? []);
            Print(cli.Out, rows, parse.GetValue(quiet), parse.GetValue(digests), parse.GetValue(noTrunc), parse.GetValue(format));
            return Task.FromResult(0);
        });
        return command;
    }

    private static List<ImageListRow> Rows(ImageService service, bool noTrunc)
    {
        List<ImageListRow> rows = [];
        foreach (ImageRecord image in service.Catalog.List().OrderByDescending(i => i.Created ?? DateTimeOffset.MinValue))
        {
            string id = noTrunc ? image.Id : Digest.Parse(image.Id).Short;
            List<(string Repository, string Tag)> names = [.. image.RepoTags.Select(t =>
            {
                string familiar = ImageCatalog.Familiar(t);
                string repository = ImageCatalog.NameOf(familiar);
                return (repository, familiar[(repository.Length + 1)..]);
            })];
            if (names.Count == 0)
                names = image.RepoDigests.Count > 0 ? [(ImageCatalog.NameOf(ImageCatalog.Familiar(image.RepoDigests[0])), "<none>")] : [("<none>", "<none>")];
            foreach ((string repository, string tag) in names)
            {
                string digest = image.RepoDigests.Select(ImageCatalog.Familiar).FirstOrDefault(d => ImageCatalog.NameOf(d) == repository) is { } pinned
                    ? pinned[(pinned.IndexOf('@') + 1)..] : "<none>";
                rows.Add(new ImageListRow
                {
                    Id = id,
                    Repository = repository,
                    Tag = tag,
                    Digest = digest,
                    CreatedAt = image.Created is { } created ? created.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss") + " +0000 UTC" : "",
                    CreatedSince = Units.Ago(image.Created),
                    Size = Units.HumanSize(image.Size),
                    VirtualSize = Units.HumanSize(image.Size, 4),
                });
            }
        }
        return rows;
    }

    private static List<ImageListRow> Filter(List<ImageListRow> rows, ImageService service, string? repository, string[] filters)
    {
        IEnumerable<ImageListRow> result = rows;
        if (repository is not null)
        {
            ImageReference wanted = service.ParseReference(repository);
            string familiar = wanted.FamiliarName;
            result = result.Where(r => r.Repository == familiar && (wanted.Tag is null || r.Tag == wanted.Tag));
        }
        foreach (string filter in filters)
        {
            int equals = filter.IndexOf('=');
            if (equals < 0) throw new ImageException($"bad format of filter (expected name=value): {filter}");
            string key = filter[..equals], value = filter[(equals + 1)..];
            result = key switch
            {
                "dangling" => result.Where(r => (r.Tag == "<none>" && r.Repository == "<none>") == (value is "true" or "1")),
                "reference" => result.Where(r => FileSystemName.MatchesSimpleExpression(value, r.Repository)
                    || FileSystemName.MatchesSimpleExpression(value, $"{r.Repository}:{r.Tag}")),
                _ => throw new ImageException($"invalid filter '{key}'"),
            };
        }
        return [.. result];
    }

    private static void Print(TextWriter output, List<ImageListRow> rows, bool quiet, bool digests, bool noTrunc, string? format)
    {
        if (quiet)
        {
            foreach (ImageListRow row in rows) output.WriteLine(row.Id);
            return;
        }
        if (format is "json")
        {
            foreach (ImageListRow row in rows) output.WriteLine(JsonSerializer.Serialize(row, ListJsonContext.Relaxed.ImageListRow));
            return;
        }
        if (format is { Length: > 0 } && format != "table")
        {
            GoTemplate template = new(format);
            List<string> lines = [.. rows.Select(row => template.Render(JsonSerializer.SerializeToElement(row, ListJsonContext.Relaxed.ImageListRow)))];
            if (template.IsTable)
            {
                TableWriter table = new([.. template.Header().Split('\t')]);
                foreach (string line in lines) table.Add(line.Split('\t'));
                table.Write(output);
            }
            else
            {
                foreach (string line in lines) output.WriteLine(line);
            }
            return;
        }
        TableWriter writer = digests
            ? new TableWriter("REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE")
            : new TableWriter("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
        foreach (ImageListRow row in rows)
        {
            if (digests) writer.Add(row.Repository, row.Tag, row.Digest, row.Id, row.CreatedSince, row.Size);
            else writer.Add(row.Repository, row.Tag, row.Id, row.CreatedSince, row.Size);
        }
        writer.Write(output);
    }
}
