using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Oci;
using Skiff.Images.Transfer;

namespace Skiff.Commands;

/// <summary>skiff pull [-a] [--platform P] [-q] [--tls-verify] NAME[:TAG|@DIGEST]</summary>
public static class PullCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> image = new("NAME[:TAG|@DIGEST]") { Description = "The image to download" };
        Option<bool> allTags = new("--all-tags", "-a") { Description = "Download all tagged images in the repository" };
        Option<string?> platform = new("--platform") { Description = "Set platform if server is multi-platform capable (os/arch[/variant])" };
        Option<bool> quiet = new("--quiet", "-q") { Description = "Suppress verbose output" };
        Option<bool?> tlsVerify = CliContext.TlsVerifyOption();
        Option<string?> authFile = CliContext.AuthFileOption();
        Command command = new(name, "Download an image from a registry") { image, allTags, platform, quiet, tlsVerify, authFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ImageService service = cli.Service(parse, parse.GetValue(tlsVerify), parse.GetValue(authFile));
            ITransferProgress progress = parse.GetValue(quiet) ? NullProgress.Instance : new ProgressRenderer(cli.Out, cli.OutputIsTerminal);
            PullOptions options = new()
            {
                Platform = parse.GetValue(platform) is { } text ? PlatformMatcher.Parse(text) : null,
                MaxConcurrentDownloads = service.Registries.MaxConcurrentDownloads,
            };
            string reference = parse.GetValue(image)!;
            if (parse.GetValue(allTags))
            {
                foreach (PullResult result in await service.PullAllTagsAsync(reference, options, progress, cancellationToken))
                    if (parse.GetValue(quiet)) cli.Out.WriteLine(result.Reference.ToString());
                return 0;
            }
            PullResult pulled = await service.PullAsync(reference, options, progress, cancellationToken);
            cli.Out.WriteLine(pulled.Reference.ToString());
            return 0;
        });
        return command;
    }
}
