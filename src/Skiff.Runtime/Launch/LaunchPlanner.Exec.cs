using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Launch;

/// <summary>What an exec joins and runs: the container's config, the new process, the parent's fds.</summary>
public sealed record ExecInputs(Spec Container, Process Process, int Sync, int ConsoleSocket)
{
    /// <summary>Handles of the container init's namespaces (/proc/pid/ns/*), by OCI type.</summary>
    public IReadOnlyDictionary<string, int> Namespaces { get; init; } = new Dictionary<string, int>();
    public int PreserveFds { get; init; }
    public bool NoNewKeyring { get; init; }
    public string? ContainerId { get; init; }
    /// <summary>The host's LSMs and last capability, for the process's labels and capabilities (<see cref="HostProbe.HostFor"/>).</summary>
    public HostFacts Host { get; init; } = HostFacts.None;
    /// <summary>The container's passwd, for HOME (<see cref="HostProbe.PathsForExec"/>).</summary>
    public PathFacts Paths { get; init; } = PathFacts.None;
}

public static partial class LaunchPlanner
{
    /// <summary>
    /// Compiles an exec: the child is placed in the container's cgroup, joins every namespace of the
    /// container (user first, so the rest are joined with its rights), then forks so the process is
    /// born inside the PID and time namespaces, which setns(2) only applies to children.
    /// </summary>
    public static LaunchPlan PlanExec(ExecInputs input)
    {
        Process process = input.Process;
        if (process.Args is not { Count: > 0 } || string.IsNullOrEmpty(process.Args[0]))
            throw new RuntimeException("exec: the process must name the program to run (args)");
        if (string.IsNullOrEmpty(process.Cwd) || process.Cwd[0] != '/')
            throw new RuntimeException($"exec: cwd \"{ErrorText.Bounded(process.Cwd ?? "", 64)}\" must be an absolute path");
        CheckPath(process.Cwd, "process.cwd");
        CheckText(process.Args, "process.args");
        CheckText(process.Env, "process.env");

        Oci.Runtime.Linux linux = input.Container.Linux ?? new Oci.Runtime.Linux();
        var steps = new List<Step>();
        var warnings = new List<string>();
        var debug = new List<string>();
        steps.Add(CloseInheritedExcept([input.Sync, input.ConsoleSocket, .. input.Namespaces.Values], input.PreserveFds));
        // execCPUAffinity: the process file's, else the container's (runc's rule); "initial" covers the runtime's own work inside.
        CpuAffinity? affinity = process.ExecCpuAffinity ?? input.Container.Process?.ExecCpuAffinity;
        if (InitialAffinityStep(affinity) is { } initial) steps.Add(initial);
        steps.Add(Step.Notify("ask the parent to place the process in the container's cgroup", input.Sync, SyncKind.NeedSetup));
        steps.Add(Step.WaitParent("wait for the parent's setup", input.Sync));
        foreach (NamespaceKind kind in NamespaceKind.JoinOrder)
            if (input.Namespaces.TryGetValue(kind.OciType, out int fd))
                steps.Add(Step.SetNs($"join the container's {kind.OciType} namespace", fd, kind.CloneFlag));
        if (input.Namespaces.ContainsKey("user")) steps.Add(Step.BecomeRoot("become root in the container's user namespace"));
        steps.Add(Step.Fork("fork into the container's namespaces", input.Sync));

        if (process.Terminal)
        {
            // The pty comes from the container's devpts: /dev/ptmx resolved beneath its root.
            steps.Add(Step.OpenRoot("open the container's root", "/"));
            ConsoleSize? size = process.ConsoleSize;
            steps.Add(Step.Console("set up the process's console", input.ConsoleSocket, size?.Height ?? 0, size?.Width ?? 0, ConsoleFor.Exec));
        }
        else steps.Add(Step.Setsid("start a new session"));

        List<Step> last = AddProcess(new ProcessInputs(process, linux, input.Sync, input.NoNewKeyring, input.PreserveFds) { ExecAffinity = affinity, ContainerId = input.ContainerId, Host = input.Host }, steps, warnings, debug);
        steps.Add(Step.Notify("tell the parent the process is ready", input.Sync, SyncKind.Ready));
        steps.Add(Step.WaitStart("wait for the parent's go", input.Sync, StartSignal.SyncSocket));
        steps.AddRange(last);
        steps.Add(ExecStep(process, EnvironmentOf(process, input.Paths.Passwd)));
        return new LaunchPlan(0, steps) { Warnings = warnings, DebugNotes = debug, ExecutableName = process.Args[0] };
    }
}
