using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Oci;
using Skiff.Images.Transfer;

namespace Skiff.Commands;

/// <summary>skiff import [-c CHANGE]... [-m MESSAGE] [--platform P] file|URL|- [REPOSITORY[:TAG]]</summary>
public static class ImportCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> source = new("file|URL|-") { Description = "A root filesystem tarball (plain, gzip or zstd), a URL, or - for STDIN" };
        Argument<string?> repository = new("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne, Description = "Name for the new image" };
        Option<string[]> changes = new("--change", "-c") { Description = "Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, ...)" };
        Option<string?> message = new("--message", "-m") { Description = "Set commit message for imported image" };
        Option<string?> platform = new("--platform") { Description = "Set platform of the image (default: the host's)" };
        Command command = new(name, "Import the contents from a tarball to create a filesystem image") { source, repository, changes, message, platform };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string from = parse.GetValue(source)!;
            using ImageService service = cli.Service(parse);
            ImportOptions options = new()
            {
                Changes = parse.GetValue(changes) ?? [],
                Message = parse.GetValue(message),
                Platform = parse.GetValue(platform) is { } text ? PlatformMatcher.Parse(text) : null,
                Source = from,
            };
            using HttpClient? http = from.StartsWith("http://", StringComparison.Ordinal) || from.StartsWith("https://", StringComparison.Ordinal) ? new HttpClient() : null;
            await using Stream stream = from == "-" ? Console.OpenStandardInput()
                : http is not null ? await OpenUrlAsync(http, from, cancellationToken)
                : OpenFile(from);
            cli.Out.WriteLine(service.Import(stream, parse.GetValue(repository), options, cancellationToken).Id);
            return 0;
        });
        return command;
    }

    private static async Task<Stream> OpenUrlAsync(HttpClient http, string url, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode) throw new ImageException($"import {url}: {(int)response.StatusCode} {response.ReasonPhrase}");
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    private static FileStream OpenFile(string path)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageException($"import {path}: no such file or directory");
        }
    }
}
