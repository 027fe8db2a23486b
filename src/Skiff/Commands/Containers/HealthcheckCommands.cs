using System.CommandLine;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Health;

namespace Skiff.Commands.Containers;

/// <summary>skiff healthcheck run CONTAINER (Podman's verb: one check now), and the hidden periodic monitor.</summary>
public static class HealthcheckCommands
{
    public static Command Group(CliContext cli)
    {
        Argument<string> container = new("CONTAINER");
        Command run = new("run", "Run the container's health check once: exit 0 healthy, 1 unhealthy") { container };
        run.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            ContainerRecord record = session.Engine.Resolve(parse.GetValue(container)!);
            HealthCheckConfig config = HealthChecker.ConfigOf(record.Request, session.Engine.ImageHealthcheck(record))
                ?? throw new EngineException($"container {record.Name} has no defined healthcheck", 125);
            if (record.State.Status != ContainerStatus.Running) throw new EngineException($"container {record.Name} is not running", 125);
            bool healthy = new HealthChecker(session.Engine).RunOnce(record, config);
            cli.Out.WriteLine(healthy ? "healthy" : "unhealthy");
            return healthy ? 0 : 1;
        });
        Command group = new("healthcheck", "Manage health checks on containers") { run };
        return group;
    }

    public static Command Monitor(CliContext cli)
    {
        Argument<string> container = new("CONTAINER");
        Command command = new("healthcheck-monitor", "Run a container's periodic health checks (started with the container)") { container };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            new HealthChecker(session.Engine).Monitor(parse.GetValue(container)!);
            return 0;
        });
        return command;
    }
}
