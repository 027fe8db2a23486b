using System.Globalization;
using Skiff.Engine.Containers;
using Skiff.Engine.Spec;
using Skiff.Images;

namespace Skiff.Engine.Inspect;

/// <summary>Renders a container record as Docker's inspect JSON.</summary>
public static class ContainerInspector
{
    public static ContainerInspect Inspect(ContainerEngine engine, ContainerRecord record)
    {
        ContainerRequest request = record.Request;
        Skiff.Images.Oci.ContainerConfig? image = null;
        try
        {
            image = engine.Images.GetRootfs(record.ImageId).Config.Config;
        }
        catch (ImageException) { }
        List<string> command = [];
        try
        {
            command = SpecGenerator.Command(request, image);
        }
        catch (EngineException) { }
        string bundle = engine.Layout.Bundle(record.Id);
        ContainerState state = record.State;
        return new ContainerInspect
        {
            Id = record.Id,
            Created = Time(record.Created),
            Path = command.FirstOrDefault() ?? "",
            Args = [.. command.Skip(1)],
            State = new InspectState
            {
                Status = state.Status.ToString().ToLowerInvariant(),
                Running = state.Status is ContainerStatus.Running or ContainerStatus.Paused,
                Paused = state.Status == ContainerStatus.Paused,
                Restarting = state.Status == ContainerStatus.Restarting,
                OOMKilled = state.OomKilled,
                Dead = state.Status == ContainerStatus.Dead,
                Pid = state.Pid,
                ExitCode = state.ExitCode,
                Error = state.Error,
                StartedAt = Time(state.StartedAt),
                FinishedAt = Time(state.FinishedAt),
                Health = state.Health,
            },
            Image = record.ImageId,
            ResolvConfPath = Path.Combine(bundle, "resolv.conf"),
            HostnamePath = Path.Combine(bundle, "hostname"),
            HostsPath = Path.Combine(bundle, "hosts"),
            LogPath = request.LogDriver == "none" ? "" : engine.Layout.LogFile(record.Id),
            Name = "/" + record.Name,
            RestartCount = state.RestartCount,
            NetworkSettings = Network.NetworkSettingsView.Settings(engine, record),
            Config = new InspectConfig
            {
                Hostname = SpecGenerator.Hostname(record),
                User = request.User ?? image?.User ?? "",
                Tty = request.Tty,
                OpenStdin = request.OpenStdin,
                Env = [.. image?.Env ?? [], .. request.Env],
                Cmd = request.Cmd ?? (request.Entrypoint is null ? image?.Cmd : null) ?? [],
                Image = request.Image,
                WorkingDir = request.WorkingDir ?? image?.WorkingDir ?? "",
                Entrypoint = request.Entrypoint ?? image?.Entrypoint,
                Labels = new Dictionary<string, string>([.. image?.Labels ?? [], .. request.Labels]),
                StopSignal = request.StopSignal ?? image?.StopSignal,
                StopTimeout = request.StopTimeout,
            },
            HostConfig = new InspectHostConfig
            {
                AutoRemove = request.AutoRemove,
                Privileged = request.Privileged,
                ReadonlyRootfs = request.ReadOnlyRootfs,
                Init = request.Init,
                Binds = [.. request.Mounts.Where(m => m.Type == "bind").Select(m => $"{m.Source}:{m.Target}{(m.ReadOnly ? ":ro" : "")}")],
                CapAdd = request.CapAdd,
                CapDrop = request.CapDrop,
                SecurityOpt = request.SecurityOpt,
                Memory = request.Resources.Memory ?? 0,
                MemorySwap = request.Resources.MemorySwap ?? 0,
                MemoryReservation = request.Resources.MemoryReservation ?? 0,
                NanoCpus = request.Resources.NanoCpus ?? 0,
                CpuShares = request.Resources.CpuShares ?? 0,
                CpusetCpus = request.Resources.CpusetCpus ?? "",
                PidsLimit = request.Resources.PidsLimit,
                ShmSize = request.ShmSize ?? DockerDefaults.ShmSize,
                Runtime = record.RuntimePath,
                CgroupParent = request.CgroupParent ?? engine.Config.CgroupParent,
                NetworkMode = Network.NetworkSettingsView.Mode(record),
                RestartPolicy = request.RestartPolicy,
                LogConfig = new InspectLogConfig { Type = request.LogDriver, Config = request.LogOptions },
            },
            Mounts = Mounts(engine, record),
        };
    }

    /// <summary>Binds and tmpfs mounts as requested; volumes (named, anonymous, the image's) with their names and where their files are.</summary>
    private static List<InspectMount> Mounts(ContainerEngine engine, ContainerRecord record)
    {
        List<InspectMount> mounts = [.. record.Request.Mounts.Where(m => m.Type != "volume").Select(m => new InspectMount
        {
            Type = m.Type,
            Source = m.Source ?? "",
            Destination = m.Target,
            Mode = m.ReadOnly ? "ro" : "",
            RW = !m.ReadOnly,
            Propagation = m.Type == "bind" ? "rprivate" : "",
        })];
        foreach ((Volumes.ContainerVolume volume, string source) in engine.Volumes.MountsOf(record.Id))
        {
            mounts.Add(new InspectMount
            {
                Type = "volume",
                Name = volume.Volume,
                Source = source,
                Destination = volume.Destination,
                Driver = "local",
                Mode = volume.ReadOnly ? "ro" : "",
                RW = !volume.ReadOnly,
                Propagation = "",
            });
        }
        return mounts;
    }

    private static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z";
}
