using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Transfer;

namespace Skiff.Commands;

/// <summary>skiff push [-q] [--tls-verify] NAME[:TAG] [DESTINATION]</summary>
public static class PushCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> image = new("NAME[:TAG]") { Description = "The local image to upload" };
        Argument<string?> destination = new("DESTINATION") { Description = "Where to push it, if not under its own name", Arity = ArgumentArity.ZeroOrOne };
        Option<bool> quiet = new("--quiet", "-q") { Description = "Suppress verbose output" };
        Option<bool?> tlsVerify = CliContext.TlsVerifyOption();
        Option<string?> authFile = CliContext.AuthFileOption();
        Command command = new(name, "Upload an image to a registry") { image, destination, quiet, tlsVerify, authFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ImageService service = cli.Service(parse, parse.GetValue(tlsVerify), parse.GetValue(authFile));
            ITransferProgress progress = parse.GetValue(quiet) ? NullProgress.Instance : new ProgressRenderer(cli.Out, cli.OutputIsTerminal);
            PushResult result = await service.PushAsync(parse.GetValue(image)!, parse.GetValue(destination), progress, cancellationToken);
            if (parse.GetValue(quiet)) cli.Out.WriteLine(result.Destination.ToString());
            return 0;
        });
        return command;
    }
}
