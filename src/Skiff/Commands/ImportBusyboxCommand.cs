using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Transfer;

namespace Skiff.Commands;

/// <summary>
/// skiff image import-busybox [--busybox PATH] [--tag NAME]: the built-in default image, made at
/// install time from Debian's busybox-static so a fresh machine runs containers with no registry.
/// </summary>
public static class ImportBusyboxCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Option<string> binary = new("--busybox") { Description = "The static busybox binary", DefaultValueFactory = _ => BusyboxRootfs.DefaultBinary };
        Option<string> tag = new("--tag", "-t") { Description = "Name of the image", DefaultValueFactory = _ => "busybox:latest" };
        Command command = new(name, "Create the built-in busybox image from a static busybox binary") { binary, tag };
        command.SetAction((parse, _) =>
        {
            using ImageService service = cli.Service(parse);
            cli.Out.WriteLine(service.ImportBusybox(parse.GetValue(binary)!, parse.GetValue(tag)!).Id);
            return Task.FromResult(0);
        });
        return command;
    }
}
