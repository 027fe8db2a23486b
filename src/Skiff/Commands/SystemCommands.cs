using System.CommandLine;
using System.Reflection;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;

namespace Skiff.Commands;

/// <summary>skiff version and skiff info: what is installed and what the engine holds.</summary>
public static class SystemCommands
{
    private static string Version => typeof(SystemCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public static Command VersionCommand(CliContext cli)
    {
        Command command = new("version", "Show the skiff version information");
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            string runtime;
            try
            {
                runtime = session.Engine.Config.ResolveRuntime(null);
            }
            catch (EngineException e)
            {
                runtime = e.Message;
            }
            cli.Out.WriteLine($"""
                Client: skiff
                 Version:       {Version}
                 OS/Arch:       linux/amd64

                Engine: skiff (daemonless)
                 Version:       {Version}
                 Kernel:        {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}
                 Runtime:       {runtime}
                 Monitor:       {session.Engine.Config.ConmonPath}
                """);
            return 0;
        });
        return command;
    }

    public static Command Info(CliContext cli)
    {
        Command command = new("info", "Display system-wide information");
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            List<ContainerRecord> containers = session.Engine.List();
            string cgroups = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "2" : Directory.Exists("/sys/fs/cgroup/unified") ? "1 (hybrid)" : "1";
            cli.Out.WriteLine($"""
                Containers: {containers.Count}
                 Running: {containers.Count(c => c.State.Status == ContainerStatus.Running)}
                 Paused: {containers.Count(c => c.State.Status == ContainerStatus.Paused)}
                 Stopped: {containers.Count(c => c.State.Status is not (ContainerStatus.Running or ContainerStatus.Paused))}
                Images: {session.Images.Catalog.List().Count()}
                Server Version: {Version}
                Storage Driver: overlay
                Logging Driver: k8s-file
                Cgroup Driver: cgroupfs
                Cgroup Version: {cgroups}
                Runtimes: {string.Join(' ', session.Engine.Config.Runtimes.Keys.Append(session.Engine.Config.DefaultRuntime).Distinct())}
                Default Runtime: {session.Engine.Config.DefaultRuntime}
                Init Binary: {session.Engine.Config.InitPath}
                Kernel Version: {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}
                Operating System: {OsName()}
                CPUs: {Environment.ProcessorCount}
                Skiff Root Dir: {session.Engine.Layout.Root}
                """);
            return 0;
        });
        return command;
    }

    private static string OsName()
    {
        if (!File.Exists("/etc/os-release")) return "linux";
        foreach (string line in File.ReadLines("/etc/os-release"))
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) return line[12..].Trim('"');
        return "linux";
    }
}
