using Skiff.Engine.Config;
using Skiff.Engine.Containers;
using Skiff.Engine.Volumes;
using Skiff.Images.Oci;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using OciSpec = Skiff.Oci.Runtime.Spec;

namespace Skiff.Engine.Spec;

/// <summary>The files the engine writes per container and binds into it.</summary>
public sealed record ContainerFiles(string Hosts, string Hostname, string ResolvConf);

/// <summary>
/// The OCI config.json of a container: the image's config with the user's request laid over it,
/// and Docker's defaults for everything neither says (capabilities, mounts, masked paths, device
/// rules, the default seccomp profile). Pure but for reading the image's passwd/group files and
/// the seccomp profile.
/// </summary>
public sealed class SpecGenerator(EngineConfig config)
{
    public const string InitPath = "/run/skiff-init";

    /// <summary>The container's volumes as <see cref="VolumeStore.Prepare"/> made them ready (its type=volume mounts and the image's VOLUMEs).</summary>
    public IReadOnlyList<VolumeBind> Volumes { get; init; } = [];

    public OciSpec Generate(ContainerRecord record, ContainerConfig? image, string rootfs, ContainerFiles files)
    {
        ContainerRequest request = record.Request;
        List<string> args = Command(request, image);
        ResolvedUser user = UserResolver.Resolve(rootfs, request.User ?? image?.User, request.GroupAdd);
        string hostname = Hostname(record);
        List<string> capabilities = Capabilities(request);

        OciSpec spec = new()
        {
            OciVersion = SpecVersion.Current,
            Process = new Process
            {
                Terminal = request.Tty,
                User = new User { Uid = user.Uid, Gid = user.Gid, AdditionalGids = user.AdditionalGids.Count > 0 ? [.. user.AdditionalGids] : null },
                Args = request.Init ? [InitPath, "--", .. args] : args,
                Env = Environment(request, image, hostname, user),
                Cwd = request.WorkingDir is { Length: > 0 } w ? w : image?.WorkingDir is { Length: > 0 } iw ? iw : "/",
                Capabilities = new Capabilities
                {
                    Bounding = [.. capabilities],
                    Effective = [.. capabilities],
                    Permitted = [.. capabilities],
                },
                Rlimits = request.Ulimits.Count > 0 ? [.. request.Ulimits.Select(u => new Rlimit { Type = "RLIMIT_" + u.Name.ToUpperInvariant(), Soft = u.Soft, Hard = u.Hard })] : null,
                NoNewPrivileges = request.SecurityOpt.Any(o => o is "no-new-privileges" or "no-new-privileges:true" or "no-new-privileges=true"),
                OomScoreAdj = request.OomScoreAdj,
                ApparmorProfile = SecurityOption(request, "apparmor"),
            },
            Root = new Root { Path = rootfs, Readonly = request.ReadOnlyRootfs },
            Hostname = request.UtsMode == "host" ? null : hostname,
            Mounts = Mounts(request, files),
            Linux = new Skiff.Oci.Runtime.Linux
            {
                Namespaces = Namespaces(request),
                CgroupsPath = $"{(request.CgroupParent ?? config.CgroupParent).TrimEnd('/')}/skiff-{record.Id}",
                Resources = Resources(request),
                Devices = request.Devices.Count > 0 ? [.. request.Devices.Select(d => DeviceRequests.Parse(d).Device)] : null,
                Sysctl = request.Sysctls.Count > 0 ? new Dictionary<string, string>(request.Sysctls) : null,
                MaskedPaths = request.Privileged || SecurityOption(request, "unmask") == "ALL" ? null : [.. DockerDefaults.MaskedPaths.Where(p => !Unmasked(request, p))],
                ReadonlyPaths = request.Privileged || SecurityOption(request, "unmask") == "ALL" ? null : [.. DockerDefaults.ReadonlyPaths.Where(p => !Unmasked(request, p))],
                Seccomp = Seccomp(request, capabilities),
            },
        };
        return spec;
    }

    /// <summary>ENTRYPOINT then CMD, each from the request when given (an explicit entrypoint drops the image's CMD, as Docker does).</summary>
    public static List<string> Command(ContainerRequest request, ContainerConfig? image)
    {
        List<string> entrypoint = request.Entrypoint ?? image?.Entrypoint ?? [];
        List<string> cmd = request.Cmd is { Count: > 0 } given ? given : request.Entrypoint is not null ? [] : image?.Cmd ?? [];
        List<string> args = [.. entrypoint.Where((_, i) => i > 0 || entrypoint[0].Length > 0), .. cmd];
        return args.Count > 0 ? args : throw new EngineException("no command specified");
    }

    public static string Hostname(ContainerRecord record) => record.Request.Hostname is { Length: > 0 } h ? h : record.Id[..12];

    private static List<string> Environment(ContainerRequest request, ContainerConfig? image, string hostname, ResolvedUser user)
    {
        // Later entries win by key: the engine's defaults, then the image's, then the user's.
        List<string> env = [DockerDefaults.Path, $"HOSTNAME={hostname}"];
        if (request.Tty) env.Add("TERM=xterm");
        foreach (string entry in (IEnumerable<string>)[.. image?.Env ?? [], .. request.Env]) Set(env, entry);
        if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal))) env.Add($"HOME={user.Home}");
        return env;
    }

    private static void Set(List<string> env, string entry)
    {
        int equals = entry.IndexOf('=');
        string key = equals < 0 ? entry : entry[..(equals + 1)];
        int existing = env.FindIndex(e => equals < 0 ? e == key || e.StartsWith(key + "=", StringComparison.Ordinal) : e.StartsWith(key, StringComparison.Ordinal));
        if (existing >= 0) env[existing] = entry;
        else env.Add(entry);
    }

    private static List<string> Capabilities(ContainerRequest request)
    {
        if (request.Privileged) return [.. Capability.Names.Take(Capability.LastSupported + 1)];
        List<string> set = [.. DockerDefaults.Capabilities];
        foreach (string drop in request.CapDrop.Select(CapabilityName))
        {
            if (drop == "CAP_ALL") set.Clear();
            else set.Remove(drop);
        }
        foreach (string add in request.CapAdd.Select(CapabilityName))
        {
            if (add == "CAP_ALL") return [.. Capability.Names.Take(Capability.LastSupported + 1)];
            if (!set.Contains(add)) set.Add(add);
        }
        return set;
    }

    /// <summary>"net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all name the same capability; an unknown one is refused.</summary>
    public static string CapabilityName(string text)
    {
        string upper = text.ToUpperInvariant();
        string name = upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
        if (name == "CAP_ALL" || Capability.Names.Contains(name)) return name;
        throw new EngineException($"invalid capability: {text}");
    }

    /// <summary>Namespaces shared with another container (--pid/--ipc container:X): type to /proc/PID/ns path.</summary>
    public IReadOnlyDictionary<string, string> JoinedNamespaces { get; init; } = new Dictionary<string, string>();

    private List<LinuxNamespace> Namespaces(ContainerRequest request)
    {
        List<LinuxNamespace> namespaces = [new() { Type = NamespaceKind.Mount.OciType }];
        if (request.Network?.IsHost != true) namespaces.Add(new() { Type = NamespaceKind.Network.OciType, Path = JoinedNamespaces.GetValueOrDefault(NamespaceKind.Network.OciType) });
        if (request.PidMode != "host") namespaces.Add(new() { Type = NamespaceKind.Pid.OciType, Path = JoinedNamespaces.GetValueOrDefault(NamespaceKind.Pid.OciType) });
        if (request.IpcMode != "host") namespaces.Add(new() { Type = NamespaceKind.Ipc.OciType, Path = JoinedNamespaces.GetValueOrDefault(NamespaceKind.Ipc.OciType) });
        if (request.UtsMode != "host") namespaces.Add(new() { Type = NamespaceKind.Uts.OciType });
        // A private cgroup namespace only where the host is pure cgroup v2, as Docker and Podman
        // choose: on v1 and hybrid hosts a container sees its cgroup paths as the host names them.
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers")) namespaces.Add(new() { Type = NamespaceKind.Cgroup.OciType });
        return namespaces;
    }

    private List<Mount> Mounts(ContainerRequest request, ContainerFiles files)
    {
        List<Mount> mounts = DockerDefaults.Mounts(request.ShmSize ?? DockerDefaults.ShmSize);
        if (request.Privileged)
            foreach (Mount m in mounts.Where(m => m.Destination is "/sys" or "/sys/fs/cgroup")) m.Options!.Remove("ro");
        // The engine's files, the user's mounts and the volumes go on after the defaults, outermost
        // first (Docker sorts them by depth, stably): a volume on /etc lies under /etc/hosts, and a
        // mount inside another one's destination lands on top of it.
        string[] etcOptions = ["rbind", "rprivate", request.ReadOnlyRootfs ? "ro" : "rw"];
        List<Mount> container =
        [
            new Mount { Destination = "/etc/hosts", Type = "bind", Source = files.Hosts, Options = [.. etcOptions] },
            new Mount { Destination = "/etc/hostname", Type = "bind", Source = files.Hostname, Options = [.. etcOptions] },
            new Mount { Destination = "/etc/resolv.conf", Type = "bind", Source = files.ResolvConf, Options = [.. etcOptions] },
        ];
        if (request.Init)
        {
            if (!File.Exists(config.InitPath)) throw new EngineException($"--init: {config.InitPath}: no such file (install catatonit, or set init_path in the engine config)");
            container.Add(new Mount { Destination = InitPath, Type = "bind", Source = config.InitPath, Options = ["bind", "ro", "nosuid", "nodev"] });
        }
        foreach (MountRequest m in request.Mounts)
        {
            // type=volume mounts arrive resolved, as Volumes.
            if (m.Type == "volume") continue;
            container.Add(m.Type switch
            {
                "tmpfs" => new Mount { Destination = m.Target, Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "nodev", .. m.ReadOnly ? (string[])["ro"] : [], .. m.Options] },
                _ => new Mount { Destination = m.Target, Type = "bind", Source = m.Source, Options = ["rbind", m.ReadOnly ? "ro" : "rw", .. m.Options] },
            });
        }
        foreach (VolumeBind volume in Volumes)
        {
            bool propagation = volume.Options.Any(o => o is "private" or "rprivate" or "shared" or "rshared" or "slave" or "rslave");
            container.Add(new Mount
            {
                Destination = volume.Destination,
                Type = "bind",
                Source = volume.Source,
                Options = ["rbind", volume.ReadOnly ? "ro" : "rw", .. propagation ? (string[])[] : ["rprivate"], .. volume.Options],
            });
        }
        foreach (Mount m in container.OrderBy(m => VolumeStore.CleanPath(m.Destination).Count(c => c == '/')))
        {
            mounts.RemoveAll(existing => existing.Destination == m.Destination);
            mounts.Add(m);
        }
        return mounts;
    }

    private static LinuxResources Resources(ContainerRequest request)
    {
        ResourceRequest r = request.Resources;
        LinuxResources resources = new() { Devices = request.Privileged ? [new DeviceCgroupRule { Allow = true, Access = "rwm" }] : DockerDefaults.DeviceRules() };
        if (!request.Privileged)
        {
            resources.Devices.AddRange(request.Devices.Select(d => DeviceRequests.Parse(d).Rule));
            resources.Devices.AddRange(request.DeviceCgroupRules.Select(DeviceRequests.ParseRule));
        }
        if (r.Memory is not null || r.MemorySwap is not null || r.MemoryReservation is not null)
            resources.Memory = new MemoryResources
            {
                Limit = r.Memory,
                Reservation = r.MemoryReservation,
                // Docker's --memory-swap is memory plus swap; unset with --memory means twice the memory.
                Swap = r.MemorySwap ?? (r.Memory is { } m ? m * 2 : null),
            };
        if (r.NanoCpus is not null || r.CpuShares is not null || r.CpusetCpus is not null)
            resources.Cpu = new CpuResources
            {
                Shares = r.CpuShares,
                Period = r.NanoCpus is not null ? 100_000 : null,
                Quota = r.NanoCpus is { } nano ? nano * 100_000 / 1_000_000_000 : null,
                Cpus = r.CpusetCpus,
            };
        if (r.PidsLimit is { } pids && pids != 0) resources.Pids = new PidsResources { Limit = pids };
        return resources;
    }

    private Skiff.Oci.Runtime.Seccomp? Seccomp(ContainerRequest request, IReadOnlyCollection<string> capabilities)
    {
        string? option = SecurityOption(request, "seccomp");
        if (option == "unconfined" || (request.Privileged && option is null)) return null;
        return SeccompProfile.Load(option ?? config.SeccompProfile, capabilities);
    }

    /// <summary>The value of <c>--security-opt KEY=VALUE</c> (Docker also accepts KEY:VALUE).</summary>
    private static string? SecurityOption(ContainerRequest request, string key)
    {
        foreach (string option in request.SecurityOpt)
            if (option.Length > key.Length && option.StartsWith(key, StringComparison.Ordinal) && option[key.Length] is '=' or ':')
                return option[(key.Length + 1)..];
        return null;
    }

    private static bool Unmasked(ContainerRequest request, string path) =>
        SecurityOption(request, "unmask") is { } list && list.Split(':').Contains(path);
}
