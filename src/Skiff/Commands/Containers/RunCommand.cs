using System.CommandLine;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Monitor;
using Skiff.Images;

namespace Skiff.Commands.Containers;

/// <summary>skiff run / skiff create: a container from an image, started attached, detached (-d), or not at all.</summary>
public static class RunCommand
{
    public static Command Create(CliContext cli, string name, bool start)
    {
        CreateFlags flags = new();
        Option<bool> detach = new("--detach", "-d") { Description = "Run container in background and print container ID" };
        Option<bool> sigProxy = new("--sig-proxy") { Description = "Proxy received signals to the process", DefaultValueFactory = _ => true };
        Command command = new(name, start ? "Create and run a new container from an image" : "Create a new container");
        flags.AddTo(command);
        if (start)
        {
            command.Options.Add(detach);
            command.Options.Add(sigProxy);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            ContainerRequest request = flags.Request(parse);
            request.StdinOnce = start && request.OpenStdin && !parse.GetValue(detach);
            using EngineSession session = cli.Engine(parse);
            ContainerRecord record;
            try
            {
                await ImagePolicy.EnsureAsync(cli, session.Images, request.Image, parse.GetValue(flags.Pull), parse.GetValue(flags.Platform), cancellationToken);
                record = session.Engine.Create(request, parse.GetValue(flags.Name));
            }
            catch (ImageException e)
            {
                // Docker's run and create fail with 125 for any image problem.
                throw new EngineException(e.Message, EngineException.EngineError, e);
            }
            if (parse.GetValue(flags.Cidfile) is { } cidfile) File.WriteAllText(cidfile, record.Id);
            if (!start)
            {
                cli.Out.WriteLine(record.Id);
                return 0;
            }
            if (parse.GetValue(detach))
            {
                StartOrRemove(session.Engine, record, null);
                cli.Out.WriteLine(record.Id);
                return 0;
            }
            AttachSession? attach = null;
            using CleanupOwner owner = CleanupOwner.Claim(session.Engine.Layout, record.Id);
            try
            {
                record = StartOrRemove(session.Engine, record, r => attach = AttachSession.Connect(session.Engine.Layout.Bundle(r.Id)));
                int? exit = new AttachedRun(session.Engine) { ProxySignals = parse.GetValue(sigProxy) }.Run(record, attach!);
                if (exit is null) return 0;
                // The monitor's exit command settles the record (and removes a --rm container); doing
                // it here too means the container is in its final state when run returns.
                if (request.AutoRemove) session.Engine.Remove(record.Id, force: true, volumes: true);
                else session.Engine.Cleanup(record.Id);
                return exit.Value;
            }
            finally
            {
                attach?.Dispose();
            }
        });
        return command;
    }

    private static ContainerRecord StartOrRemove(ContainerEngine engine, ContainerRecord record, Action<ContainerRecord>? beforeStart)
    {
        try
        {
            return engine.Start(record.Id, beforeStart);
        }
        catch (EngineException) when (record.Request.AutoRemove)
        {
            engine.Remove(record.Id, force: true, volumes: true);
            throw;
        }
    }
}
