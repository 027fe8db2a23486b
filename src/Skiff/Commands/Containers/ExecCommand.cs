using System.CommandLine;
using System.Diagnostics;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Monitor;
using Skiff.Engine.Runtime;
using Skiff.Engine.Spec;

namespace Skiff.Commands.Containers;

/// <summary>
/// skiff exec [-d] [-i] [-t] [-e K=V] [--env-file F] [-u USER] [-w DIR] [--privileged] CONTAINER CMD...:
/// the runtime's own exec, with our stdio (its exit code is the process's), or detached.
/// </summary>
public static class ExecCommand
{
    public static Command Create(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER");
        Argument<string[]> commandArgs = new("COMMAND") { Arity = ArgumentArity.OneOrMore };
        Option<bool> detach = new("--detach", "-d") { Description = "Detached mode: run command in the background" };
        Option<bool> interactive = new("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
        Option<bool> tty = new("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        Option<string[]> env = new("--env", "-e") { Description = "Set environment variables" };
        Option<string[]> envFile = new("--env-file") { Description = "Read in a file of environment variables" };
        Option<string?> user = new("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
        Option<string?> workdir = new("--workdir", "-w") { Description = "Working directory inside the container" };
        Option<bool> privileged = new("--privileged") { Description = "Give extended privileges to the command" };
        Option<string?> detachKeys = new("--detach-keys") { Description = "Override the key sequence for detaching a container" };
        Command command = new(name, "Execute a command in a running container") { container, commandArgs, detach, interactive, tty, env, envFile, user, workdir, privileged, detachKeys };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            ContainerRecord record = session.Engine.Resolve(parse.GetValue(container)!);
            if (record.State.Status == ContainerStatus.Paused)
                throw new EngineException($"container {record.Id} is paused, unpause the container before exec", 1);
            if (record.State.Status != ContainerStatus.Running)
                throw new EngineException($"container {record.Id} is not running", 1);

            List<string> args = ["exec"];
            if (parse.GetValue(tty)) args.Add("--tty");
            if (parse.GetValue(detach)) args.Add("--detach");
            foreach (string entry in EnvFiles(parse.GetValue(envFile)).Concat(parse.GetValue(env) ?? []))
                args.AddRange(["--env", entry.Contains('=') ? entry : $"{entry}={Environment.GetEnvironmentVariable(entry)}"]);
            if (parse.GetValue(user) is { } who)
            {
                ResolvedUser resolved = UserResolver.Resolve(session.Engine.Layout.Rootfs(record.Id), who, []);
                args.AddRange(["--user", $"{resolved.Uid}:{resolved.Gid}"]);
                foreach (uint gid in resolved.AdditionalGids) args.AddRange(["--additional-gids", gid.ToString()]);
            }
            if (parse.GetValue(workdir) is { } cwd) args.AddRange(["--cwd", cwd]);
            if (parse.GetValue(privileged))
                foreach (string cap in Skiff.Linux.Capability.Names.Take(Skiff.Linux.Capability.LastSupported + 1)) args.AddRange(["--cap", cap]);
            args.Add(record.Id);
            args.AddRange(parse.GetValue(commandArgs)!);
            return Run(session.Engine.Runtime(record), args, parse.GetValue(detach), parse.GetValue(interactive));
        });
        return command;
    }

    private static IEnumerable<string> EnvFiles(string[]? files) => (files ?? []).SelectMany(EnvFileReader.Read);

    /// <summary>
    /// Runs the runtime's exec, attached or detached. Its errors go to a log file, so a failure to
    /// start the command (Docker's 126/127) is told apart from the command's own exit code.
    /// </summary>
    private static int Run(OciRuntimeClient runtime, List<string> args, bool detach, bool interactive)
    {
        string log = Path.Combine(Path.GetTempPath(), $"skiff-exec-{Guid.NewGuid():N}.log");
        List<string> argv = [runtime.Executable, "--root", runtime.StateRoot, "--log", log, "--log-format", "text", .. args];
        try
        {
            int exit = detach ? RunDetached(argv) : RunAttached(argv, interactive);
            string errors = File.Exists(log) ? File.ReadAllText(log) : "";
            if (errors.Contains("level=error", StringComparison.Ordinal))
            {
                string message = OciRuntimeClient.Message(errors);
                int code = message.Contains("executable file not found", StringComparison.Ordinal) || message.Contains("no such file or directory", StringComparison.Ordinal) ? EngineException.NotFound
                    : message.Contains("permission denied", StringComparison.Ordinal) ? EngineException.CannotInvoke : EngineException.EngineError;
                throw new EngineException($"OCI runtime exec failed: {message}", code);
            }
            return exit;
        }
        finally
        {
            File.Delete(log);
        }
    }

    /// <summary>The runtime with our stdio (stdin only with -i); its exit code is the process's.</summary>
    private static int RunAttached(List<string> argv, bool interactive)
    {
        ProcessStartInfo start = new(argv[0]) { UseShellExecute = false, RedirectStandardInput = !interactive };
        foreach (string arg in argv.Skip(1)) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start) ?? throw new EngineException($"starting {argv[0]} failed");
        if (!interactive) process.StandardInput.Close();
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>
    /// The runtime's exec --detach on /dev/null: the process it leaves behind keeps the runtime's
    /// stdio, and a pipe of ours would close under it when we exit (SIGPIPE at its first write).
    /// </summary>
    private static int RunDetached(List<string> argv)
    {
        return ProcessSpawner.Wait(ProcessSpawner.Spawn(argv[0], argv, Skiff.Linux.ProcessSpawn.CurrentEnvironment(), [], "/dev/null"));
    }
}
