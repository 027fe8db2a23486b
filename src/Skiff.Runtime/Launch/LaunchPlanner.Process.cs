using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Launch;

/// <summary>What shapes the container's process itself, for a create and for an exec alike.</summary>
public sealed record ProcessInputs(Process Process, Oci.Runtime.Linux Linux, bool NoNewKeyring, int PreserveFds);

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

    private static Step? SeccompStep(Oci.Runtime.Seccomp? config, List<string> warnings)
    {
        if (config is null || Skiff.Seccomp.SeccompCompiler.IsEmpty(config)) return null;
        Skiff.Seccomp.SeccompProgram program;
        try { program = Skiff.Seccomp.SeccompCompiler.Compile(config); }
        catch (Skiff.Seccomp.SeccompException e) { throw new RuntimeException($"config.json: linux.seccomp: {e.Message}"); }
        // The listener fd would have to reach listenerPath before the process runs; until that is
        // built, a filter that would leave calls waiting on nobody is refused rather than loaded.
        if (program.UsesNotify)
            throw new RuntimeException("config.json: linux.seccomp: SCMP_ACT_NOTIFY (listenerPath) is not supported by this skiff-runc yet");
        foreach (string name in program.SkippedSyscalls) warnings.Add($"seccomp: ignoring unknown syscall {name}");
        return new Step(StepKind.Seccomp, $"load the seccomp filter ({program.InstructionCount} instructions)")
            { Bytes1 = program.Filter, A = program.InstructionCount, B = program.Flags };
    }

    private static void AddIdentity(Process process, List<Step> steps, List<string> warnings)
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
        steps.Add(new Step(StepKind.CapSet, "set capabilities")
            { A = Mask(caps?.Effective, warnings), B = Mask(caps?.Permitted, warnings), C = Mask(caps?.Inheritable, warnings) });
        long ambient = Mask(caps?.Ambient, warnings);
        if (ambient != 0) steps.Add(new Step(StepKind.Ambient, "raise ambient capabilities") { A = ambient });
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

    /// <summary>What execve will be given: args[0] itself when it has a slash, else each PATH directory in turn.</summary>
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
    /// executable. Returns the seccomp step when it must come last, right before execve, so the
    /// caller can put its own waiting in between; null when there is none or it was loaded early.
    /// </summary>
    private static Step? AddProcess(ProcessInputs input, List<Step> steps, List<string> warnings)
    {
        Process process = input.Process;
        foreach (Rlimit limit in process.Rlimits ?? [])
        {
            if (!Rlimits.TryGetValue(limit.Type, out int resource))
                throw new RuntimeException($"config.json: unknown rlimit type \"{limit.Type}\"");
            steps.Add(new Step(StepKind.Rlimit, $"set {limit.Type} to soft {limit.Soft} hard {limit.Hard}")
                { A = resource, B = (long)limit.Soft, C = (long)limit.Hard });
        }
        if (!input.NoNewKeyring) steps.Add(new Step(StepKind.SessionKeyring, "join a new session keyring"));
        if (input.Linux.Personality is { } personality)
            steps.Add(new Step(StepKind.Personality, $"set personality {personality.Domain}") { A = PersonalityOf(personality) });

        Step? seccomp = SeccompStep(input.Linux.Seccomp, warnings);
        // As late as possible, but the kernel only takes a filter from a process with no_new_privs
        // or CAP_SYS_ADMIN: without no_new_privs and with CAP_SYS_ADMIN dropped, load it while still root.
        bool lateSeccomp = process.NoNewPrivileges || (Mask(process.Capabilities?.Effective, []) & (1L << 21)) != 0;
        if (seccomp is not null && !lateSeccomp) steps.Add(seccomp);
        AddIdentity(process, steps, warnings);

        if (process.NoNewPrivileges) steps.Add(new Step(StepKind.NoNewPrivileges, "set no_new_privs"));
        uint umask = process.User.Umask ?? 0x12; // 0022, runc's default for the container's process
        steps.Add(new Step(StepKind.Umask, $"set umask {Convert.ToString(umask, 8)}") { A = umask });
        steps.Add(new Step(StepKind.Chdir, $"chdir to cwd {process.Cwd}") { S1 = process.Cwd });
        string executable = process.Args![0];
        steps.Add(new Step(StepKind.ResolveExecutable, $"exec: \"{executable}\"") { S1 = executable, V1 = Candidates(executable, process.Env) });
        steps.Add(new Step(StepKind.CloseFrom, "close inherited file descriptors") { A = 3 + input.PreserveFds });
        return lateSeccomp ? seccomp : null;
    }

    private static Step ExecStep(Process process) =>
        new(StepKind.Exec, $"exec: \"{process.Args![0]}\"") { V1 = process.Args, V2 = process.Env ?? [] };
}
