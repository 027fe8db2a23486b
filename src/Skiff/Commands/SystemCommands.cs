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

/// <summary>skiff system df and skiff system prune.</summary>
public static class DiskCommands
{
    public static Command Group(CliContext cli)
    {
        Command system = new("system", "Manage skiff") { Df(cli), Prune(cli), SystemCommands.Info(cli) };
        return system;
    }

    private static Command Df(CliContext cli)
    {
        Command command = new("df", "Show skiff disk usage");
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            List<ContainerRecord> containers = session.Engine.List();
            HashSet<string> usedImages = [.. containers.Select(c => c.ImageId)];
            List<Skiff.Images.Store.ImageRecord> images = [.. session.Images.Catalog.List()];
            long imageSize = images.Sum(i => i.Size);
            long unusedImages = images.Where(i => !usedImages.Contains(i.Id)).Sum(i => i.Size);
            long Upper(ContainerRecord c) => DirectorySize(Path.Combine(session.Images.Stores.Layout.ContainerLayer(c.Id), "upper"));
            bool Active(ContainerRecord c) => c.State.Status is ContainerStatus.Running or ContainerStatus.Paused;
            long containerSize = containers.Sum(Upper);
            long stoppedSize = containers.Where(c => !Active(c)).Sum(Upper);
            List<Skiff.Engine.Volumes.VolumeRecord> volumes = session.Engine.Volumes.List();
            HashSet<string> usedVolumes = session.Engine.Volumes.InUse();
            long volumeSize = volumes.Sum(v => DirectorySize(session.Engine.Volumes.DataPath(v.Name)));
            long unusedVolumes = volumes.Where(v => !usedVolumes.Contains(v.Name)).Sum(v => DirectorySize(session.Engine.Volumes.DataPath(v.Name)));
            TableWriter table = new("TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
            table.Add("Images", images.Count.ToString(), images.Count(i => usedImages.Contains(i.Id)).ToString(), Units.HumanSize(imageSize), Reclaimable(unusedImages, imageSize));
            table.Add("Containers", containers.Count.ToString(), containers.Count(Active).ToString(), Units.HumanSize(containerSize), Reclaimable(stoppedSize, containerSize));
            table.Add("Local Volumes", volumes.Count.ToString(), volumes.Count(v => usedVolumes.Contains(v.Name)).ToString(), Units.HumanSize(volumeSize), Reclaimable(unusedVolumes, volumeSize));
            table.Add("Build Cache", "0", "0", "0B", "0B");
            table.Write(cli.Out);
            return 0;
        });
        return command;
    }

    private static Command Prune(CliContext cli)
    {
        Option<bool> all = new("--all", "-a") { Description = "Remove all unused images not just dangling ones" };
        Option<bool> force = new("--force", "-f") { Description = "Do not prompt for confirmation" };
        Option<bool> volumes = new("--volumes") { Description = "Prune anonymous volumes" };
        Command command = new("prune", "Remove unused data: stopped containers, networks not used by a container, dangling (or with -a all unused) images, with --volumes unused anonymous volumes") { all, force, volumes };
        command.SetAction(parse =>
        {
            if (!parse.GetValue(force))
            {
                if (!cli.InputIsTerminal) throw new EngineException("prune needs --force when standard input is not a terminal", 1);
                cli.Out.Write("WARNING! This will remove all stopped containers, all networks not used by at least one container, dangling images" + (parse.GetValue(volumes) ? " and unused anonymous volumes" : "") + ".\nAre you sure you want to continue? [y/N] ");
                if (cli.In.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes")) return 0;
            }
            using EngineSession session = cli.Engine(parse);
            List<string> containers = session.Engine.Prune(_ => true);
            if (containers.Count > 0)
            {
                cli.Out.WriteLine("Deleted Containers:");
                foreach (string id in containers) cli.Out.WriteLine(id);
                cli.Out.WriteLine();
            }
            List<string> networks = session.Engine.PruneNetworks(_ => true);
            if (networks.Count > 0)
            {
                cli.Out.WriteLine("Deleted Networks:");
                foreach (string name in networks) cli.Out.WriteLine(name);
                cli.Out.WriteLine();
            }
            if (parse.GetValue(volumes))
            {
                (List<string> removed, _) = session.Engine.Volumes.Prune(all: false);
                if (removed.Count > 0)
                {
                    cli.Out.WriteLine("Deleted Volumes:");
                    foreach (string name in removed) cli.Out.WriteLine(name);
                    cli.Out.WriteLine();
                }
            }
            (List<Skiff.Images.Store.ImageRecord> images, long reclaimed) = session.Images.Prune(parse.GetValue(all));
            if (images.Count > 0)
            {
                cli.Out.WriteLine("Deleted Images:");
                foreach (Skiff.Images.Store.ImageRecord image in images) cli.Out.WriteLine($"deleted: {image.Id}");
                cli.Out.WriteLine();
            }
            cli.Out.WriteLine($"Total reclaimed space: {Units.HumanSize(reclaimed)}");
            return 0;
        });
        return command;
    }

    private static string Reclaimable(long reclaimable, long total) =>
        total > 0 ? $"{Units.HumanSize(reclaimable)} ({reclaimable * 100 / total}%)" : Units.HumanSize(reclaimable);

    private static long DirectorySize(string path)
    {
        if (!Directory.Exists(path)) return 0;
        long size = 0;
        foreach (FileInfo file in new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
            if (file.LinkTarget is null) size += file.Length;
        return size;
    }
}
