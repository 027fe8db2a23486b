using Skiff.Linux;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Mounts;

namespace Skiff.Runtime.Launch;

/// <summary>What shapes the container's process itself, for a create and for an exec alike.</summary>
public sealed record ProcessInputs(Process Process, Oci.Runtime.Linux Linux, bool NoNewKeyring, int PreserveFds)
{
    /// <summary>An exec's execCPUAffinity (the process file's, else the container's); null for the init process, which it does not apply to.</summary>
    public CpuAffinity? ExecAffinity { get; init; }

    /// <summary>The LSMs the labels are checked against; null probes the host's, and only when a label is asked for.</summary>
    public HostSecurityModules? Lsm { get; init; }

    /// <summary>Names the session keyring "_ses.ID", as runc does, so an exec joins the container's own.</summary>
    public string? ContainerId { get; init; }
}

public static partial class LaunchPlanner
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static readonly Dictionary<string, int> Rlimits = new()
    {
        ["RLIMIT_CPU"] = 0, ["RLIMIT_FSIZE"] = 1, ["RLIMIT_DATA"] = 2, ["RLIMIT_STACK"] = 3, ["RLIMIT_CORE"] = 4,
        ["RLIMIT_RSS"] = 5, ["RLIMIT_NPROC"] = 6, ["RLIMIT_NOFILE"] = 7, ["RLIMIT_MEMLOCK"] = 8, ["RLIMIT_AS"] = 9,
        ["RLIMIT_LOCKS"] = 10, ["RLIMIT_SIGPENDING"] = 11, ["RLIMIT_MSGQUEUE"] = 12, ["RLIMIT_NICE"] = 13,
        ["RLIMIT_RTPRIO"] = 14, ["RLIMIT_RTTIME"] = 15,
    };

    private static Step? SeccompStep(Oci.Runtime.Seccomp? config, int sync, List<string> debug)
    {
        if (config is null || Skiff.Seccomp.SeccompCompiler.IsEmpty(config)) return null;
        Skiff.Seccomp.SeccompProgram program;
        try { program = Skiff.Seccomp.SeccompCompiler.Compile(config); }
        catch (Skiff.Seccomp.SeccompException e) { throw new RuntimeException($"config.json: linux.seccomp: {e.Message}"); }
        // runc skips names its libseccomp does not know and says so only at debug level; so do we.
        foreach (string name in program.SkippedSyscalls) debug.Add($"seccomp: ignoring unknown syscall {name}");
        if (!program.UsesNotify)
            return new Step(StepKind.Seccomp, $"load the seccomp filter ({program.InstructionCount} instructions)")
                { Bytes1 = program.Filter, A = program.InstructionCount, B = program.Flags };

        // The child hands the listener fd over with sendmsg: were that call notified, the child
        // would wait on an agent that can only get the fd through that very call.
        foreach (SeccompSyscall rule in config.Syscalls ?? [])
            if (rule.Action == "SCMP_ACT_NOTIFY" && rule.Names.Contains("sendmsg"))
                throw new RuntimeException("config.json: linux.seccomp: SCMP_ACT_NOTIFY cannot be used for sendmsg (the listener fd is handed over with it)");
        // The parent reads the listener's address and metadata from the step (S2, S3); the child ignores them.
        return new Step(StepKind.SeccompNotify, $"load the seccomp filter ({program.InstructionCount} instructions) and hand its listener to {config.ListenerPath}")
            { Bytes1 = program.Filter, A = program.InstructionCount, B = program.Flags, Fd = sync, S2 = config.ListenerPath, S3 = config.ListenerMetadata };
    }

    /// <summary>The socket the plan already talks to the parent on: its setup request comes before the process's steps.</summary>
    private static int SyncSocketOf(List<Step> steps) => steps.First(s => s.Kind == StepKind.Notify).Fd;

    /// <summary>I/O priority, scheduling policy and CPU affinity, set while the process still has the privilege to raise them.</summary>
    private static void AddScheduling(ProcessInputs input, List<Step> steps)
    {
        Process process = input.Process;
        if (process.IoPriority is { } io)
            steps.Add(new Step(StepKind.IoPriority, $"set I/O priority {io.Class} {io.Priority}") { A = ProcessScheduling.IoPriorityValue(io) });
        if (process.Scheduler is { } scheduler)
        {
            byte[] attr = ProcessScheduling.SchedAttr(scheduler);
            // Where real-time time is shared out per cgroup, a new cgroup has none: that EPERM needs its reason.
            string what = scheduler.Policy is "SCHED_FIFO" or "SCHED_RR" or "SCHED_DEADLINE"
                ? $"set real-time scheduler policy {scheduler.Policy} (the container's cgroup must grant real-time time: linux.resources.cpu.realtimeRuntime)"
                : $"set scheduler policy {scheduler.Policy}";
            steps.Add(new Step(StepKind.Scheduler, what) { Bytes1 = attr });
        }
        if (FinalAffinityStep(input.ExecAffinity) is { } affinity) steps.Add(affinity);
    }

    /// <summary>
    /// The affinity the process runs with: an exec's "final" list, or, with no execCPUAffinity at
    /// all, every CPU (as runc resets it), so the runtime's own affinity is never inherited. With
    /// only "initial", the process keeps the initial one.
    /// </summary>
    private static Step? FinalAffinityStep(CpuAffinity? affinity)
    {
        if (affinity?.Final is { Length: > 0 } final)
        {
            byte[] mask = ProcessScheduling.CpuMask(final, "process.execCPUAffinity.final");
            return new Step(StepKind.Affinity, $"set CPU affinity {final}") { Bytes1 = mask, A = mask.Length };
        }
        if (affinity?.Initial is { Length: > 0 }) return null;
        byte[] all = ProcessScheduling.AllCpus();
        return new Step(StepKind.Affinity, "reset CPU affinity to every CPU") { Bytes1 = all, A = all.Length };
    }

    /// <summary>
    /// An exec's "initial" affinity: its first step, so everything the runtime does inside the
    /// container (joining its cgroup and namespaces) already runs on those CPUs. Null without one.
    /// </summary>
    public static Step? InitialAffinityStep(CpuAffinity? affinity)
    {
        if (affinity?.Initial is not { Length: > 0 } initial) return null;
        byte[] mask = ProcessScheduling.CpuMask(initial, "process.execCPUAffinity.initial");
        return new Step(StepKind.Affinity, $"set the initial CPU affinity {initial}") { Bytes1 = mask, A = mask.Length };
    }

    /// <summary>
    /// The LSM labels of the coming execve, written to attribute files beneath the container's /proc
    /// (paths relative to it, checked to be procfs) before the identity changes, as runc does. A label
    /// the host cannot honour is an error.
    /// </summary>
    public static IEnumerable<Step> LabelSteps(Process process, HostSecurityModules? lsm)
    {
        var steps = new List<Step>();
        if (!string.IsNullOrEmpty(process.ApparmorProfile))
        {
            if (!(lsm ?? HostSecurityModules.Current).AppArmor)
                throw new RuntimeException($"process.apparmorProfile \"{process.ApparmorProfile}\" requested, but AppArmor is not enabled on this host");
            string value = "exec " + process.ApparmorProfile;
            steps.Add(new Step(StepKind.ExecLabel, $"apply AppArmor profile {process.ApparmorProfile}")
                { S1 = "thread-self/attr/apparmor/exec", S3 = "thread-self/attr/exec", S2 = value, A = System.Text.Encoding.UTF8.GetByteCount(value) });
        }
        if (!string.IsNullOrEmpty(process.SelinuxLabel))
        {
            // runc refuses a process label where SELinux is off rather than run the process unconfined.
            if (!(lsm ?? HostSecurityModules.Current).Selinux)
                throw new RuntimeException($"process.selinuxLabel \"{process.SelinuxLabel}\" is set, but SELinux is not enabled on this host");
            steps.Add(new Step(StepKind.ExecLabel, $"set SELinux process label {process.SelinuxLabel}")
                { S1 = "thread-self/attr/exec", S2 = process.SelinuxLabel, A = System.Text.Encoding.UTF8.GetByteCount(process.SelinuxLabel) });
        }
        return steps;
    }

    /// <param name="keepSysAdmin">
    /// The filter is still to be loaded without no_new_privs: the kernel takes it only from a
    /// process with CAP_SYS_ADMIN, so that capability stays effective until the filter's own
    /// capset (<see cref="FinalCapSet"/>) right after it.
    /// </param>
    private static void AddIdentity(Process process, List<Step> steps, List<string> warnings, bool keepSysAdmin)
    {
        Capabilities? caps = process.Capabilities;
        long bounding = Mask(caps?.Bounding, warnings);
        steps.Add(new Step(StepKind.DropBounding, "drop capabilities from the bounding set") { A = bounding, B = Capability.LastSupported });
        steps.Add(new Step(StepKind.KeepCaps, "keep capabilities across setuid") { A = 1 });
        List<uint> groups = process.User.AdditionalGids ?? [];
        byte[] gidBytes = new byte[Math.Max(4, groups.Count * 4)];
        for (int i = 0; i < groups.Count; i++) BitConverter.TryWriteBytes(gidBytes.AsSpan(i * 4), groups[i]);
        steps.Add(new Step(StepKind.SetGroups, $"set additional groups [{string.Join(' ', groups)}]") { A = groups.Count, Bytes1 = gidBytes });
        steps.Add(new Step(StepKind.SetIds, $"set uid {process.User.Uid} gid {process.User.Gid}") { A = process.User.Uid, B = process.User.Gid });
        steps.Add(new Step(StepKind.KeepCaps, "stop keeping capabilities across setuid") { A = 0 });
        Step final = FinalCapSet(process, warnings);
        steps.Add(keepSysAdmin
            ? final with { Description = "set capabilities (CAP_SYS_ADMIN kept until the seccomp filter is loaded)", A = final.A | SysAdmin, B = final.B | SysAdmin }
            : final);
        long ambient = Mask(caps?.Ambient, warnings);
        if (ambient != 0) steps.Add(new Step(StepKind.Ambient, "raise ambient capabilities") { A = ambient });
    }

    private const long SysAdmin = 1L << 21;

    private static Step FinalCapSet(Process process, List<string> warnings)
    {
        Capabilities? caps = process.Capabilities;
        return new Step(StepKind.CapSet, "set capabilities")
            { A = Mask(caps?.Effective, warnings), B = Mask(caps?.Permitted, warnings), C = Mask(caps?.Inheritable, warnings) };
    }

    private static long Mask(IEnumerable<string>? names, List<string> warnings)
    {
        long mask = 0;
        foreach (string name in names ?? [])
        {
            int bit = Capability.BitOf(name);
            if (bit < 0 || bit > Capability.LastSupported) warnings.Add($"ignoring capability {name}: not known to this kernel");
            else mask |= 1L << bit;
        }
        return mask;
    }

    private static long PersonalityOf(Personality personality)
    {
        long domain = personality.Domain switch
        {
            "LINUX" => 0,
            "LINUX32" => 8,
            _ => throw new RuntimeException($"config.json: personality domain \"{personality.Domain}\" is not LINUX or LINUX32"),
        };
        if (personality.Flags is { Count: > 0 })
            throw new RuntimeException("config.json: personality flags are not supported");
        return domain;
    }

    /// <summary>
    /// What execve will be given: args[0] itself when it has a slash, else each PATH directory in turn.
    /// With no PATH in the process's env a default applies, as execvp(3) falls back to one (runc 1.1.5
    /// finds nothing instead: `ctr run --rootfs`, which sets no PATH, runs into that).
    /// </summary>
    public static IReadOnlyList<string> Candidates(string executable, IEnumerable<string>? env)
    {
        if (executable.Contains('/')) return [executable];
        string path = DefaultPath;
        foreach (string entry in env ?? [])
            if (entry.StartsWith("PATH=", StringComparison.Ordinal)) path = entry[5..];
        return path.Split(':').Select(dir => (dir.Length == 0 ? "." : dir.TrimEnd('/')) + "/" + executable).ToArray();
    }

    /// <summary>
    /// The steps that turn the child into the container's process, from rlimits to the resolved
    /// executable. Returns what must come last, right before execve, so the caller can put its own
    /// waiting in between: the signal unblocking and the seccomp filter (with, when the filter needs
    /// CAP_SYS_ADMIN, the capset that gives it up). A user's profile may deny anything else, so
    /// every other call (closing inherited fds, identity, cwd) happens before the filter.
    /// </summary>
    private static List<Step> AddProcess(ProcessInputs input, List<Step> steps, List<string> warnings, List<string> debug)
    {
        Process process = input.Process;
        foreach (Rlimit limit in process.Rlimits ?? [])
        {
            if (!Rlimits.TryGetValue(limit.Type, out int resource))
                throw new RuntimeException($"config.json: unknown rlimit type \"{limit.Type}\"");
            steps.Add(new Step(StepKind.Rlimit, $"set {limit.Type} to soft {limit.Soft} hard {limit.Hard}")
                { A = resource, B = (long)limit.Soft, C = (long)limit.Hard });
        }
        if (!input.NoNewKeyring) steps.Add(SessionKeyringStep(input));
        if (input.Linux.Personality is { } personality)
            steps.Add(new Step(StepKind.Personality, $"set personality {personality.Domain}") { A = PersonalityOf(personality) });

        AddScheduling(input, steps);
        steps.AddRange(LabelSteps(process, input.Lsm));

        Step? seccomp = SeccompStep(input.Linux.Seccomp, SyncSocketOf(steps), debug);
        // The kernel only takes a filter from a process with no_new_privs or CAP_SYS_ADMIN.
        bool needsSysAdmin = seccomp is not null && !process.NoNewPrivileges && (Mask(process.Capabilities?.Effective, []) & SysAdmin) == 0;
        AddIdentity(process, steps, warnings, needsSysAdmin);

        if (process.NoNewPrivileges) steps.Add(new Step(StepKind.NoNewPrivileges, "set no_new_privs"));
        uint umask = process.User.Umask ?? 0x12; // 0022, runc's default for the container's process
        steps.Add(new Step(StepKind.Umask, $"set umask {Convert.ToString(umask, 8)}") { A = umask });
        steps.Add(new Step(StepKind.Chdir, $"chdir to cwd {process.Cwd}") { S1 = process.Cwd });
        string executable = process.Args![0];
        steps.Add(new Step(StepKind.ResolveExecutable, $"exec: \"{executable}\"") { S1 = executable, V1 = Candidates(executable, process.Env) });
        steps.Add(new Step(StepKind.CloseFrom, "close inherited file descriptors") { A = 3 + input.PreserveFds });

        var last = new List<Step>();
        if (seccomp is not null)
        {
            last.Add(seccomp);
            if (needsSysAdmin) last.Add(FinalCapSet(process, []) with { Description = "drop CAP_SYS_ADMIN after loading the seccomp filter" });
        }
        // A listener fd must reach the parent while it still listens: before the "ready" message
        // (after it, create has returned and exec only waits for execve), as runc loads it before the exec fifo.
        if (seccomp?.Kind == StepKind.SeccompNotify)
        {
            steps.AddRange(last);
            last.Clear();
        }
        last.Insert(0, new Step(StepKind.UnblockSignals, "unblock signals"));
        return last;
    }

    /// <summary>
    /// runc's session keyring: "_ses.ID", made searchable by the container's uid (or by "other" in a
    /// user namespace, where that uid is not the keyring's owner), so an exec joins the same keyring
    /// by name instead of the runtime's. Without an id, a fresh anonymous keyring.
    /// </summary>
    private static Step SessionKeyringStep(ProcessInputs input)
    {
        if (input.ContainerId is not { } id) return new Step(StepKind.SessionKeyring, "join a new session keyring");
        bool userNamespace = input.Linux.Namespaces?.Any(n => n.Type == "user") == true;
        const long possessorAllUserView = 0x3f010000, userSearch = 0x00080000, otherSearch = 0x00000008;
        return new Step(StepKind.SessionKeyring, $"join session keyring _ses.{id}")
            { S1 = "_ses." + id, A = possessorAllUserView | (userNamespace ? otherSearch : userSearch) };
    }

    private static Step ExecStep(Process process, IReadOnlyList<string> env) =>
        new(StepKind.Exec, $"exec: \"{process.Args![0]}\"") { V1 = process.Args, V2 = env };

    /// <summary>
    /// process.env, with HOME added when it has none, as runc does: the home of the process's uid
    /// in the container's /etc/passwd (resolved inside the root), or "/" without one.
    /// </summary>
    public static IReadOnlyList<string> EnvironmentOf(Process process, string? root)
    {
        List<string> env = process.Env ?? [];
        if (env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal))) return env;
        return [.. env, "HOME=" + (root is null ? "/" : HomeOf(root, process.User.Uid) ?? "/")];
    }

    private static string? HomeOf(string root, uint uid)
    {
        const int MaxPasswd = 4 << 20;
        try
        {
            string passwd = Path.Combine(root, RootfsPath.Resolve(root, "/etc/passwd"));
            var info = new FileInfo(passwd);
            if (!info.Exists || info.Length > MaxPasswd) return null;
            foreach (string line in File.ReadLines(passwd))
            {
                string[] fields = line.Split(':');
                if (fields.Length >= 6 && uint.TryParse(fields[2], out uint id) && id == uid && fields[5].Length > 0)
                    return fields[5];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RuntimeException) { }
        return null;
    }
}
