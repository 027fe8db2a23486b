using System.CommandLine;
using System.Globalization;
using Skiff.Engine;
using Skiff.Engine.Containers;

namespace Skiff.Commands.Containers;

/// <summary>The flags `run` and `create` share, and the <see cref="ContainerRequest"/> they make.</summary>
public sealed class CreateFlags
{
    public Argument<string> Image { get; } = new("IMAGE") { Description = "The image to run" };
    public Argument<string[]> Command { get; } = new("COMMAND") { Arity = ArgumentArity.ZeroOrMore, Description = "The command and its arguments" };
    public Option<string?> Name { get; } = new("--name") { Description = "Assign a name to the container" };
    public Option<bool> Interactive { get; } = new("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
    public Option<bool> Tty { get; } = new("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
    public Option<bool> Remove { get; } = new("--rm") { Description = "Automatically remove the container when it exits" };
    public Option<string[]> Env { get; } = new("--env", "-e") { Description = "Set environment variables" };
    public Option<string[]> EnvFile { get; } = new("--env-file") { Description = "Read in a file of environment variables" };
    public Option<string?> Workdir { get; } = new("--workdir", "-w") { Description = "Working directory inside the container" };
    public Option<string?> User { get; } = new("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
    public Option<string[]> GroupAdd { get; } = new("--group-add") { Description = "Add additional groups to join" };
    public Option<string?> Hostname { get; } = new("--hostname", "-h") { Description = "Container host name" };
    public Option<string?> Entrypoint { get; } = new("--entrypoint") { Description = "Overwrite the default ENTRYPOINT of the image" };
    public Option<string[]> Label { get; } = new("--label", "-l") { Description = "Set meta data on a container" };
    public Option<string[]> Volume { get; } = new("--volume", "-v") { Description = "Bind mount a volume (SRC:DST[:OPTS])" };
    public Option<string[]> Mount { get; } = new("--mount") { Description = "Attach a filesystem mount to the container" };
    public Option<string[]> Tmpfs { get; } = new("--tmpfs") { Description = "Mount a tmpfs directory (DST[:OPTS])" };
    public Option<bool> ReadOnly { get; } = new("--read-only") { Description = "Mount the container's root filesystem as read only" };
    public Option<string?> Memory { get; } = new("--memory", "-m") { Description = "Memory limit" };
    public Option<string?> MemorySwap { get; } = new("--memory-swap") { Description = "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" };
    public Option<string?> MemoryReservation { get; } = new("--memory-reservation") { Description = "Memory soft limit" };
    public Option<string?> Cpus { get; } = new("--cpus") { Description = "Number of CPUs" };
    public Option<ulong?> CpuShares { get; } = new("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
    public Option<string?> CpusetCpus { get; } = new("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)" };
    public Option<long?> PidsLimit { get; } = new("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
    public Option<string[]> Ulimit { get; } = new("--ulimit") { Description = "Ulimit options (name=soft[:hard])" };
    public Option<string[]> CapAdd { get; } = new("--cap-add") { Description = "Add Linux capabilities" };
    public Option<string[]> CapDrop { get; } = new("--cap-drop") { Description = "Drop Linux capabilities" };
    public Option<bool> Privileged { get; } = new("--privileged") { Description = "Give extended privileges to this container" };
    public Option<string[]> SecurityOpt { get; } = new("--security-opt") { Description = "Security Options" };
    public Option<bool> Init { get; } = new("--init") { Description = "Run an init inside the container that forwards signals and reaps processes" };
    public Option<string?> ShmSize { get; } = new("--shm-size") { Description = "Size of /dev/shm" };
    public Option<string[]> Sysctl { get; } = new("--sysctl") { Description = "Sysctl options" };
    public Option<string?> StopSignal { get; } = new("--stop-signal") { Description = "Signal to stop the container" };
    public Option<int?> StopTimeout { get; } = new("--stop-timeout") { Description = "Timeout (in seconds) to stop a container" };
    public Option<string?> Restart { get; } = new("--restart") { Description = "Restart policy to apply when a container exits (no, on-failure[:N], always, unless-stopped)" };
    public Option<string?> LogDriver { get; } = new("--log-driver") { Description = "Logging driver for the container (k8s-file, json-file, none)" };
    public Option<string[]> LogOpt { get; } = new("--log-opt") { Description = "Log driver options (max-size, max-file)" };
    public Option<string?> Runtime { get; } = new("--runtime") { Description = "Runtime to use for this container" };
    public Option<int?> OomScoreAdj { get; } = new("--oom-score-adj") { Description = "Tune host's OOM preferences (-1000 to 1000)" };
    public Option<string?> Pid { get; } = new("--pid") { Description = "PID namespace to use (host)" };
    public Option<string?> Ipc { get; } = new("--ipc") { Description = "IPC mode to use (host)" };
    public Option<string?> Uts { get; } = new("--uts") { Description = "UTS namespace to use (host)" };
    public Option<string?> CgroupParent { get; } = new("--cgroup-parent") { Description = "Optional parent cgroup for the container" };
    public Option<string?> DetachKeys { get; } = new("--detach-keys") { Description = "Override the key sequence for detaching a container" };
    public Option<string?> Pull { get; } = new("--pull") { Description = "Pull image before running (always, missing, never)" };
    public Option<string?> Cidfile { get; } = new("--cidfile") { Description = "Write the container ID to the file" };
    public Option<string?> Platform { get; } = new("--platform") { Description = "Set platform if server is multi-platform capable" };
    public Option<string?> HealthCmd { get; } = new("--health-cmd") { Description = "Command to run to check health" };
    public Option<string?> HealthInterval { get; } = new("--health-interval") { Description = "Time between running the check (ms|s|m|h) (default 30s)" };
    public Option<string?> HealthTimeout { get; } = new("--health-timeout") { Description = "Maximum time to allow one check to run (ms|s|m|h) (default 30s)" };
    public Option<int?> HealthRetries { get; } = new("--health-retries") { Description = "Consecutive failures needed to report unhealthy" };
    public Option<string?> HealthStartPeriod { get; } = new("--health-start-period") { Description = "Start period for the container to initialize before starting health-retries countdown" };
    public Option<bool> NoHealthcheck { get; } = new("--no-healthcheck") { Description = "Disable any container-specified HEALTHCHECK" };
    public Option<string[]> Device { get; } = new("--device") { Description = "Add a host device to the container (HOST[:CONTAINER][:PERMS])" };
    public Option<string[]> DeviceCgroupRule { get; } = new("--device-cgroup-rule") { Description = "Add a rule to the cgroup allowed devices list ('c 1:3 rwm')" };
    public NetworkFlags Networking { get; } = new();

    public void AddTo(Command command)
    {
        command.Arguments.Add(Image);
        command.Arguments.Add(Command);
        foreach (Option option in (Option[])[Name, Interactive, Tty, Remove, Env, EnvFile, Workdir, User, GroupAdd, Hostname, Entrypoint, Label,
            Volume, Mount, Tmpfs, ReadOnly, Memory, MemorySwap, MemoryReservation, Cpus, CpuShares, CpusetCpus, PidsLimit, Ulimit, CapAdd,
            CapDrop, Privileged, SecurityOpt, Init, ShmSize, Sysctl, StopSignal, StopTimeout, Restart, LogDriver, LogOpt, Runtime,
            OomScoreAdj, Pid, Ipc, Uts, CgroupParent, DetachKeys, Pull, Cidfile, Platform,
            HealthCmd, HealthInterval, HealthTimeout, HealthRetries, HealthStartPeriod, NoHealthcheck, Device, DeviceCgroupRule, .. Networking.All])
            command.Options.Add(option);
    }

    public ContainerRequest Request(ParseResult parse)
    {
        ContainerRequest request = new()
        {
            Image = parse.GetValue(Image)!,
            Cmd = parse.GetValue(Command) is { Length: > 0 } cmd ? [.. cmd] : null,
            Entrypoint = parse.GetValue(Entrypoint) is { } entrypoint ? (entrypoint.Length == 0 ? [] : [entrypoint]) : null,
            WorkingDir = parse.GetValue(Workdir),
            User = parse.GetValue(User),
            GroupAdd = [.. parse.GetValue(GroupAdd) ?? []],
            Hostname = parse.GetValue(Hostname),
            Tty = parse.GetValue(Tty),
            OpenStdin = parse.GetValue(Interactive),
            AutoRemove = parse.GetValue(Remove),
            ReadOnlyRootfs = parse.GetValue(ReadOnly),
            Privileged = parse.GetValue(Privileged),
            Init = parse.GetValue(Init),
            CapAdd = [.. parse.GetValue(CapAdd) ?? []],
            CapDrop = [.. parse.GetValue(CapDrop) ?? []],
            SecurityOpt = [.. parse.GetValue(SecurityOpt) ?? []],
            StopSignal = parse.GetValue(StopSignal),
            StopTimeout = parse.GetValue(StopTimeout),
            Runtime = parse.GetValue(Runtime),
            OomScoreAdj = parse.GetValue(OomScoreAdj),
            PidMode = SharedMode(parse.GetValue(Pid), "--pid"),
            IpcMode = SharedMode(parse.GetValue(Ipc), "--ipc"),
            UtsMode = HostOnly(parse.GetValue(Uts), "--uts"),
            CgroupParent = parse.GetValue(CgroupParent),
            DetachKeys = parse.GetValue(DetachKeys),
            Network = Networking.Request(parse),
            LogDriver = parse.GetValue(LogDriver) switch
            {
                null or "k8s-file" or "json-file" => "k8s-file",
                "none" => "none",
                { } other => throw new EngineException($"--log-driver {other}: not supported (k8s-file, json-file, none)"),
            },
        };
        foreach (string file in parse.GetValue(EnvFile) ?? []) request.Env.AddRange(EnvFileReader.Read(file));
        foreach (string entry in parse.GetValue(Env) ?? [])
        {
            // "-e NAME" passes the caller's value on, as Docker does; unset stays out.
            if (entry.Contains('=')) request.Env.Add(entry);
            else if (Environment.GetEnvironmentVariable(entry) is { } value) request.Env.Add($"{entry}={value}");
        }
        foreach (string label in parse.GetValue(Label) ?? [])
        {
            int equals = label.IndexOf('=');
            request.Labels[equals < 0 ? label : label[..equals]] = equals < 0 ? "" : label[(equals + 1)..];
        }
        foreach (string volume in parse.GetValue(Volume) ?? []) request.Mounts.Add(MountParser.Volume(volume));
        foreach (string mount in parse.GetValue(Mount) ?? []) request.Mounts.Add(MountParser.Mount(mount));
        foreach (string tmpfs in parse.GetValue(Tmpfs) ?? []) request.Mounts.Add(MountParser.Tmpfs(tmpfs));
        foreach (string sysctl in parse.GetValue(Sysctl) ?? [])
        {
            int equals = sysctl.IndexOf('=');
            if (equals <= 0) throw new EngineException($"invalid argument \"{sysctl}\" for \"--sysctl\" flag: sysctl must be KEY=VALUE");
            request.Sysctls[sysctl[..equals]] = sysctl[(equals + 1)..];
        }
        foreach (string ulimit in parse.GetValue(Ulimit) ?? []) request.Ulimits.Add(ParseUlimit(ulimit));
        foreach (string option in parse.GetValue(LogOpt) ?? [])
        {
            int equals = option.IndexOf('=');
            if (equals <= 0) throw new EngineException($"invalid argument \"{option}\" for \"--log-opt\" flag: must be KEY=VALUE");
            request.LogOptions[option[..equals]] = option[(equals + 1)..];
        }
        ResourceRequest resources = request.Resources;
        resources.Memory = parse.GetValue(Memory) is { } memory ? ByteSize.Parse(memory, "--memory") : null;
        resources.MemoryReservation = parse.GetValue(MemoryReservation) is { } reservation ? ByteSize.Parse(reservation, "--memory-reservation") : null;
        resources.MemorySwap = parse.GetValue(MemorySwap) switch { null => null, "-1" => -1, { } swap => ByteSize.Parse(swap, "--memory-swap") };
        if (resources.MemorySwap is > 0 && resources.Memory is { } limit && resources.MemorySwap < limit)
            throw new EngineException("Minimum memoryswap limit should be larger than memory limit, see usage");
        if (parse.GetValue(Cpus) is { } cpus) resources.NanoCpus = ParseCpus(cpus);
        resources.CpuShares = parse.GetValue(CpuShares);
        resources.CpusetCpus = parse.GetValue(CpusetCpus);
        resources.PidsLimit = parse.GetValue(PidsLimit);
        request.ShmSize = parse.GetValue(ShmSize) is { } shm ? ByteSize.Parse(shm, "--shm-size") : null;
        request.RestartPolicy = ParseRestart(parse.GetValue(Restart));
        if (request.AutoRemove && request.RestartPolicy.Name != "no")
            throw new EngineException("Conflicting options: --restart and --rm");
        foreach (string cap in (IEnumerable<string>)[.. request.CapAdd, .. request.CapDrop]) Skiff.Engine.Spec.SpecGenerator.CapabilityName(cap);
        // Checked now, so a bad device fails the create rather than the first start.
        foreach (string device in parse.GetValue(Device) ?? [])
        {
            Skiff.Engine.Spec.DeviceRequests.Parse(device);
            request.Devices.Add(device);
        }
        foreach (string rule in parse.GetValue(DeviceCgroupRule) ?? [])
        {
            Skiff.Engine.Spec.DeviceRequests.ParseRule(rule);
            request.DeviceCgroupRules.Add(rule);
        }
        request.NoHealthcheck = parse.GetValue(NoHealthcheck);
        if (parse.GetValue(HealthCmd) is not null || parse.GetValue(HealthInterval) is not null || parse.GetValue(HealthTimeout) is not null
            || parse.GetValue(HealthRetries) is not null || parse.GetValue(HealthStartPeriod) is not null)
        {
            if (request.NoHealthcheck) throw new EngineException("--no-healthcheck conflicts with --health-* options");
            request.Healthcheck = new Skiff.Engine.Health.HealthCheckConfig
            {
                Test = parse.GetValue(HealthCmd) is { } check ? ["CMD-SHELL", check] : [],
                Interval = parse.GetValue(HealthInterval) is { } i ? Positive(GoDuration.Parse(i, "--health-interval"), "--health-interval") : TimeSpan.Zero,
                Timeout = parse.GetValue(HealthTimeout) is { } t ? Positive(GoDuration.Parse(t, "--health-timeout"), "--health-timeout") : TimeSpan.Zero,
                StartPeriod = parse.GetValue(HealthStartPeriod) is { } p ? GoDuration.Parse(p, "--health-start-period") : TimeSpan.Zero,
                Retries = parse.GetValue(HealthRetries) is { } r ? (r >= 0 ? r : throw new EngineException("--health-retries cannot be negative")) : 0,
            };
        }
        return request;
    }

    /// <summary>Docker refuses intervals under a millisecond (a check loop that spins).</summary>
    private static TimeSpan Positive(TimeSpan value, string flag) =>
        value >= TimeSpan.FromMilliseconds(1) ? value : throw new EngineException($"{flag} cannot be less than 1ms");

    /// <summary>--pid and --ipc: private (the default), host, or container:NAME|ID to share another container's.</summary>
    private static string? SharedMode(string? mode, string flag) =>
        mode is not null && mode.StartsWith("container:", StringComparison.Ordinal) && mode.Length > 10 ? mode : HostOnly(mode, flag);

    private static string? HostOnly(string? mode, string flag) => mode switch
    {
        null or "" or "private" => null,
        "host" => "host",
        _ => throw new EngineException($"{flag} {mode}: only \"host\", \"private\"{(flag == "--uts" ? "" : " and \"container:NAME\"")} are supported"),
    };

    /// <summary>--cpus as Docker's NanoCpus, within what the host has.</summary>
    public static long ParseCpus(string cpus)
    {
        if (!decimal.TryParse(cpus, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal count) || count <= 0)
            throw new EngineException($"invalid argument \"{cpus}\" for \"--cpus\" flag: failed to parse {cpus} as a rational number");
        if (count > Environment.ProcessorCount)
            throw new EngineException($"range of CPUs is from 0.01 to {Environment.ProcessorCount}.00, as there are only {Environment.ProcessorCount} CPUs available");
        return (long)(count * 1_000_000_000m);
    }

    public static RestartPolicy ParseRestart(string? text)
    {
        if (string.IsNullOrEmpty(text)) return new RestartPolicy();
        string[] parts = text.Split(':', 2);
        RestartPolicy policy = new() { Name = parts[0] };
        if (policy.Name is not ("no" or "on-failure" or "always" or "unless-stopped"))
            throw new EngineException($"invalid restart policy: {text}");
        if (parts.Length == 2)
        {
            if (policy.Name != "on-failure") throw new EngineException($"invalid restart policy: maximum retry count can only be used with 'on-failure'");
            if (!int.TryParse(parts[1], out int count) || count < 0) throw new EngineException($"invalid restart policy: {text}: the retry count must be a number");
            policy.MaximumRetryCount = count;
        }
        return policy;
    }

    private static UlimitRequest ParseUlimit(string text)
    {
        int equals = text.IndexOf('=');
        if (equals <= 0) throw new EngineException($"invalid argument \"{text}\" for \"--ulimit\" flag: expected name=soft[:hard]");
        string name = text[..equals];
        string[] values = text[(equals + 1)..].Split(':');
        if (!TryLimit(values[0], out ulong soft) || (values.Length > 1 && !TryLimit(values[1], out _)) || values.Length > 2)
            throw new EngineException($"invalid argument \"{text}\" for \"--ulimit\" flag: invalid limit value");
        ulong hard = soft;
        if (values.Length > 1) TryLimit(values[1], out hard);
        if (soft > hard) throw new EngineException($"invalid argument \"{text}\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}");
        return new UlimitRequest { Name = name, Soft = soft, Hard = hard };
    }

    private static bool TryLimit(string text, out ulong value)
    {
        if (text == "-1" || text == "unlimited")
        {
            value = ulong.MaxValue;
            return true;
        }
        return ulong.TryParse(text, out value);
    }
}
