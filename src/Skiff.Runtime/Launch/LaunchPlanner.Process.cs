using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Launch;

/// <summary>What shapes the container's process itself, for a create and for an exec alike; Sync is the socket to the parent.</summary>
public sealed record ProcessInputs(Process Process, Oci.Runtime.Linux Linux, int Sync, bool NoNewKeyring, int PreserveFds)
{
    /// <summary>An exec's execCPUAffinity (the process file's, else the container's); null for the init process, which it does not apply to.</summary>
    public CpuAffinity? ExecAffinity { get; init; }

    /// <summary>The LSMs the labels are checked against, the last capability the kernel knows.</summary>
    public HostFacts Host { get; init; } = HostFacts.None;

    /// <summary>Names the session keyring "_ses.ID", as runc does, so an exec joins the container's own.</summary>
    public string? ContainerId { get; init; }
}

public static partial class LaunchPlanner
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>----w--w-: runc's umask for the container's process.</summary>
    private const uint DefaultUmask = 0b000_010_010;

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
            return Step.Seccomp($"load the seccomp filter ({program.InstructionCount} instructions)", program.Filter, program.InstructionCount, program.Flags);

        // The child hands the listener fd over with sendmsg: were that call notified, the child
        // would wait on an agent that can only get the fd through that very call.
        foreach (SeccompSyscall rule in config.Syscalls ?? [])
            if (rule.Action == "SCMP_ACT_NOTIFY" && rule.Names.Contains("sendmsg"))
                throw new RuntimeException("config.json: linux.seccomp: SCMP_ACT_NOTIFY cannot be used for sendmsg (the listener fd is handed over with it)");
        return Step.SeccompNotify($"load the seccomp filter ({program.InstructionCount} instructions) and hand its listener to {config.ListenerPath}",
            program.Filter, program.InstructionCount, program.Flags, sync, config.ListenerPath, config.ListenerMetadata);
    }

    /// <summary>I/O priority, scheduling policy and CPU affinity, set while the process still has the privilege to raise them.</summary>
    private static void AddScheduling(ProcessInputs input, List<Step> steps)
    {
        Process process = input.Process;
        if (process.IoPriority is { } io)
            steps.Add(Step.IoPriority($"set I/O priority {io.Class} {io.Priority}", ProcessScheduling.IoPriorityValue(io)));
        if (process.Scheduler is { } scheduler)
        {
            byte[] attr = ProcessScheduling.SchedAttr(scheduler);
            // Where real-time time is shared out per cgroup, a new cgroup has none: that EPERM needs its reason.
            string what = scheduler.Policy is "SCHED_FIFO" or "SCHED_RR" or "SCHED_DEADLINE"
                ? $"set real-time scheduler policy {scheduler.Policy} (the container's cgroup must grant real-time time: linux.resources.cpu.realtimeRuntime)"
                : $"set scheduler policy {scheduler.Policy}";
            steps.Add(Step.Scheduler(what, attr));
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
            return Step.Affinity($"set CPU affinity {final}", mask);
        }
        if (affinity?.Initial is { Length: > 0 }) return null;
        byte[] all = ProcessScheduling.AllCpus();
        return Step.Affinity("reset CPU affinity to every CPU", all);
    }

    /// <summary>
    /// An exec's "initial" affinity: its first step, so everything the runtime does inside the
    /// container (joining its cgroup and namespaces) already runs on those CPUs. Null without one.
    /// </summary>
    public static Step? InitialAffinityStep(CpuAffinity? affinity)
    {
        if (affinity?.Initial is not { Length: > 0 } initial) return null;
        byte[] mask = ProcessScheduling.CpuMask(initial, "process.execCPUAffinity.initial");
        return Step.Affinity($"set the initial CPU affinity {initial}", mask);
    }

    /// <summary>
    /// The LSM labels of the coming execve, written to attribute files beneath the container's /proc
    /// (paths relative to it, checked to be procfs) before the identity changes, as runc does. A label
    /// the host cannot honour is an error.
    /// </summary>
    public static IEnumerable<Step> LabelSteps(Process process, HostSecurityModules lsm)
    {
        var steps = new List<Step>();
        if (!string.IsNullOrEmpty(process.ApparmorProfile))
        {
            if (!lsm.AppArmor)
                throw new RuntimeException($"process.apparmorProfile \"{process.ApparmorProfile}\" requested, but AppArmor is not enabled on this host");
            string value = "exec " + process.ApparmorProfile;
            steps.Add(Step.ExecLabel($"apply AppArmor profile {process.ApparmorProfile}", "thread-self/attr/apparmor/exec", "thread-self/attr/exec", value));
        }
        if (!string.IsNullOrEmpty(process.SelinuxLabel))
        {
            // runc refuses a process label where SELinux is off rather than run the process unconfined.
            if (!lsm.Selinux)
                throw new RuntimeException($"process.selinuxLabel \"{process.SelinuxLabel}\" is set, but SELinux is not enabled on this host");
            steps.Add(Step.ExecLabel($"set SELinux process label {process.SelinuxLabel}", "thread-self/attr/exec", null, process.SelinuxLabel));
        }
        return steps;
    }

    /// <param name="keepSysAdmin">
    /// The filter is still to be loaded without no_new_privs: the kernel takes it only from a
    /// process with CAP_SYS_ADMIN, so that capability stays effective until the filter's own
    /// capset (<see cref="FinalCapSet"/>) right after it.
    /// </param>
    private static void AddIdentity(ProcessInputs input, List<Step> steps, List<string> warnings, bool keepSysAdmin)
    {
        Process process = input.Process;
        Capabilities? caps = process.Capabilities;
        long bounding = Mask(caps?.Bounding, input.Host.LastCapability, warnings);
        steps.Add(Step.DropBounding("drop capabilities from the bounding set", bounding, input.Host.LastCapability));
        steps.Add(Step.KeepCaps("keep capabilities across setuid", true));
        List<uint> groups = process.User.AdditionalGids ?? [];
        steps.Add(Step.SetGroups($"set additional groups [{string.Join(' ', groups)}]", groups));
        steps.Add(Step.SetIds($"set uid {process.User.Uid} gid {process.User.Gid}", process.User.Uid, process.User.Gid));
        steps.Add(Step.KeepCaps("stop keeping capabilities across setuid", false));
        steps.Add(keepSysAdmin
            ? FinalCapSet("set capabilities (CAP_SYS_ADMIN kept until the seccomp filter is loaded)", input, warnings, SysAdmin)
            : FinalCapSet("set capabilities", input, warnings));
        long ambient = Mask(caps?.Ambient, input.Host.LastCapability, warnings);
        if (ambient != 0) steps.Add(Step.Ambient("raise ambient capabilities", ambient));
    }

    private static readonly long SysAdmin = 1L << Capability.BitOf("CAP_SYS_ADMIN");

    /// <param name="kept">Capabilities held effective and permitted beyond the config's (CAP_SYS_ADMIN until the seccomp filter is loaded).</param>
    private static Step FinalCapSet(string description, ProcessInputs input, List<string> warnings, long kept = 0)
    {
        Capabilities? caps = input.Process.Capabilities;
        int last = input.Host.LastCapability;
        return Step.CapSet(description,
            Mask(caps?.Effective, last, warnings) | kept, Mask(caps?.Permitted, last, warnings) | kept, Mask(caps?.Inheritable, last, warnings));
    }

    private static long Mask(IEnumerable<string>? names, int lastCapability, List<string> warnings)
    {
        long mask = 0;
        foreach (string name in names ?? [])
        {
            int bit = Capability.BitOf(name);
            if (bit < 0 || bit > lastCapability) warnings.Add($"ignoring capability {name}: not known to this kernel");
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
            steps.Add(Step.Rlimit($"set {limit.Type} to soft {limit.Soft} hard {limit.Hard}", resource, limit.Soft, limit.Hard));
        }
        if (!input.NoNewKeyring) steps.Add(SessionKeyringStep(input));
        if (input.Linux.Personality is { } personality)
            steps.Add(Step.Personality($"set personality {personality.Domain}", PersonalityOf(personality)));

        AddScheduling(input, steps);
        steps.AddRange(LabelSteps(process, input.Host.Lsm));

        Step? seccomp = SeccompStep(input.Linux.Seccomp, input.Sync, debug);
        // The kernel only takes a filter from a process with no_new_privs or CAP_SYS_ADMIN.
        bool needsSysAdmin = seccomp is not null && !process.NoNewPrivileges && (Mask(process.Capabilities?.Effective, input.Host.LastCapability, []) & SysAdmin) == 0;
        AddIdentity(input, steps, warnings, needsSysAdmin);

        if (process.NoNewPrivileges) steps.Add(Step.NoNewPrivileges("set no_new_privs"));
        uint umask = process.User.Umask ?? DefaultUmask;
        steps.Add(Step.Umask($"set umask {Convert.ToString(umask, 8)}", umask));
        steps.Add(Step.Chdir($"chdir to cwd {process.Cwd}", process.Cwd));
        string executable = process.Args![0];
        steps.Add(Step.ResolveExecutable($"exec: \"{executable}\"", executable, Candidates(executable, process.Env)));
        steps.Add(Step.CloseFrom("close inherited file descriptors", 3 + input.PreserveFds));

        var last = new List<Step>();
        if (seccomp is not null)
        {
            last.Add(seccomp);
            if (needsSysAdmin) last.Add(FinalCapSet("drop CAP_SYS_ADMIN after loading the seccomp filter", input, []));
        }
        // A listener fd must reach the parent while it still listens: before the "ready" message
        // (after it, create has returned and exec only waits for execve), as runc loads it before the exec fifo.
        if (seccomp?.Kind == StepKind.SeccompNotify)
        {
            steps.AddRange(last);
            last.Clear();
        }
        last.Insert(0, Step.UnblockSignals("unblock signals"));
        return last;
    }

    /// <summary>
    /// runc's session keyring: "_ses.ID", made searchable by the container's uid (or by "other" in a
    /// user namespace, where that uid is not the keyring's owner), so an exec joins the same keyring
    /// by name instead of the runtime's. Without an id, a fresh anonymous keyring.
    /// </summary>
    private static Step SessionKeyringStep(ProcessInputs input)
    {
        if (input.ContainerId is not { } id) return Step.SessionKeyring("join a new session keyring", null, 0);
        bool userNamespace = input.Linux.Namespaces?.Any(n => n.Type == "user") == true;
        const long possessorAllUserView = 0x3f010000, userSearch = 0x00080000, otherSearch = 0x00000008;
        return Step.SessionKeyring($"join session keyring _ses.{id}", "_ses." + id, possessorAllUserView | (userNamespace ? otherSearch : userSearch));
    }

    private static Step ExecStep(Process process, IReadOnlyList<string> env) =>
        Step.Exec($"exec: \"{process.Args![0]}\"", process.Args, env);

    /// <summary>
    /// process.env, with HOME added when it has none, as runc does: the home of the process's uid
    /// in the container's /etc/passwd (its text, as <see cref="HostProbe"/> read it), or "/" without one.
    /// </summary>
    public static IReadOnlyList<string> EnvironmentOf(Process process, string? passwd)
    {
        List<string> env = process.Env ?? [];
        if (env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal))) return env;
        return [.. env, "HOME=" + (passwd is null ? "/" : HomeOf(passwd, process.User.Uid) ?? "/")];
    }

    private static string? HomeOf(string passwd, uint uid)
    {
        using var lines = new StringReader(passwd);
        for (string? line = lines.ReadLine(); line is not null; line = lines.ReadLine())
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 6 && uint.TryParse(fields[2], out uint id) && id == uid && fields[5].Length > 0)
                return fields[5];
        }
        return null;
    }
}
