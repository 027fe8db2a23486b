using System.CommandLine;
using Skiff.Cli;
using Skiff.Images;

namespace Skiff.Commands;

/// <summary>skiff logout [SERVER]</summary>
public static class LogoutCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string?> server = new("SERVER") { Arity = ArgumentArity.ZeroOrOne, Description = "Registry host (default: the default registry)" };
        Option<string?> authFile = CliContext.AuthFileOption();
        Command command = new(name, "Log out from a registry") { server, authFile };
        command.SetAction((parse, _) =>
        {
            using ImageService service = cli.Service(parse, authFile: parse.GetValue(authFile));
            string host = service.RegistryHost(parse.GetValue(server));
            cli.Out.WriteLine(service.Logout(parse.GetValue(server))
                ? $"Removing login credentials for {host}"
                : $"Not logged in to {host}");
            return Task.FromResult(0);
        });
        return command;
    }
}
