using System.CommandLine;
using System.Text;
using Skiff.Cli;
using Skiff.Images;
using Skiff.Images.Registry;

namespace Skiff.Commands;

/// <summary>skiff login [-u USER] [-p PASS | --password-stdin] [--tls-verify] [SERVER]</summary>
public static class LoginCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string?> server = new("SERVER") { Arity = ArgumentArity.ZeroOrOne, Description = "Registry host (default: the default registry)" };
        Option<string?> username = new("--username", "-u") { Description = "Username" };
        Option<string?> password = new("--password", "-p") { Description = "Password" };
        Option<bool> passwordStdin = new("--password-stdin") { Description = "Take the password from stdin" };
        Option<bool?> tlsVerify = CliContext.TlsVerifyOption();
        Option<string?> authFile = CliContext.AuthFileOption();
        Command command = new(name, "Log in to a registry") { server, username, password, passwordStdin, tlsVerify, authFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string? user = parse.GetValue(username), secret = parse.GetValue(password);
            if (secret is not null && parse.GetValue(passwordStdin))
                throw new ImageException("--password and --password-stdin are mutually exclusive");
            if (secret is not null) cli.Error.WriteLine("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
            if (parse.GetValue(passwordStdin))
            {
                if (user is null) throw new ImageException("must provide --username with --password-stdin");
                secret = cli.In.ReadToEnd().TrimEnd('\n', '\r');
            }
            if (user is null)
            {
                if (!cli.InputIsTerminal) throw new ImageException("cannot perform an interactive login from a non TTY device");
                cli.Out.Write("Username: ");
                cli.Out.Flush();
                user = cli.In.ReadLine()?.Trim();
            }
            if (secret is null)
            {
                if (!cli.InputIsTerminal) throw new ImageException("cannot perform an interactive login from a non TTY device");
                cli.Out.Write("Password: ");
                cli.Out.Flush();
                secret = ReadHidden();
                cli.Out.WriteLine();
            }
            if (string.IsNullOrEmpty(user)) throw new ImageException("username is empty");
            if (string.IsNullOrEmpty(secret)) throw new ImageException("password is empty");

            using ImageService service = cli.Service(parse, parse.GetValue(tlsVerify), parse.GetValue(authFile));
            await service.LoginAsync(parse.GetValue(server), new Credential(user, secret), cancellationToken);
            cli.Out.WriteLine("Login Succeeded");
            return 0;
        });
        return command;
    }

    /// <summary>A line from the terminal without echoing it.</summary>
    private static string ReadHidden()
    {
        StringBuilder text = new();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) return text.ToString();
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
            else if (key.KeyChar != '\0') text.Append(key.KeyChar);
        }
    }
}
