using System.CommandLine;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Monitor;

namespace Skiff.Commands.Containers;

/// <summary>start, stop, restart, kill, rm, wait, pause, unpause, and the monitor's cleanup callback.</summary>
public static class LifecycleCommands
{
    private static Argument<string[]> Containers() => new("CONTAINER") { Arity = ArgumentArity.OneOrMore, Description = "Containers (names or ids)" };

    /// <summary>
    /// Runs <paramref name="verb"/> on each container; errors are printed and make the exit 1, as
    /// Docker does, but for those <paramref name="harmless"/> accepts (printed only).
    /// </summary>
    private static int ForEach(CliContext cli, IEnumerable<string> references, Action<string> verb, bool echo = true, Func<EngineException, bool>? harmless = null)
    {
        int exit = 0;
        foreach (string reference in references)
        {
            try
            {
                verb(reference);
                if (echo) cli.Out.WriteLine(reference);
            }
            catch (EngineException e)
            {
                cli.Error.WriteLine($"Error response from daemon: {e.Message}");
                if (harmless?.Invoke(e) != true) exit = 1;
            }
        }
        return exit;
    }

    public static Command Start(CliContext cli, string name)
    {
        Argument<string[]> containers = Containers();
        Option<bool> attach = new("--attach", "-a") { Description = "Attach STDOUT/STDERR and forward signals" };
        Option<bool> interactive = new("--interactive", "-i") { Description = "Attach container's STDIN" };
        Command command = new(name, "Start one or more stopped containers") { containers, attach, interactive };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            string[] references = parse.GetValue(containers)!;
            if (!parse.GetValue(attach) && !parse.GetValue(interactive))
                return ForEach(cli, references, r => session.Engine.Start(r));
            if (references.Length > 1) throw new EngineException("you cannot start and attach multiple containers at once");
            AttachSession? socket = null;
            // This command settles the container after its exit; the monitor's exit command waits for it.
            using CleanupOwner owner = CleanupOwner.Claim(session.Engine.Layout, session.Engine.Resolve(references[0]).Id);
            try
            {
                ContainerRecord record = session.Engine.Start(references[0], r => socket = AttachSession.Connect(session.Engine.Layout.Bundle(r.Id)));
                if (socket is null) throw new EngineException($"container {references[0]} is already running");
                int? exit = new AttachedRun(session.Engine).Run(record, socket);
                if (exit is null) return 0;
                session.Engine.Cleanup(record.Id);
                return exit.Value;
            }
            finally
            {
                socket?.Dispose();
            }
        });
        return command;
    }

    public static Command Attach(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER");
        Option<bool> noStdin = new("--no-stdin") { Description = "Do not attach STDIN" };
        Option<bool> sigProxy = new("--sig-proxy") { Description = "Proxy all received signals to the process", DefaultValueFactory = _ => true };
        Option<string?> detachKeys = new("--detach-keys") { Description = "Override the key sequence for detaching a container" };
        Command command = new(name, "Attach local standard input, output, and error streams to a running container") { container, noStdin, sigProxy, detachKeys };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            ContainerRecord record = session.Engine.Resolve(parse.GetValue(container)!);
            if (record.State.Status != ContainerStatus.Running)
                throw new EngineException("You cannot attach to a stopped container, start it first", 1);
            using AttachSession socket = AttachSession.Connect(session.Engine.Layout.Bundle(record.Id));
            int? exit = new AttachedRun(session.Engine)
            {
                ProxySignals = parse.GetValue(sigProxy),
                AttachStdin = !parse.GetValue(noStdin),
                DetachKeys = parse.GetValue(detachKeys),
            }.Run(record, socket);
            if (exit is null) return 0;
            session.Engine.Cleanup(record.Id);
            return exit.Value;
        });
        return command;
    }

    public static Command Stop(CliContext cli, string name, bool restart)
    {
        Argument<string[]> containers = Containers();
        Option<int?> time = new("--time", "-t") { Description = "Seconds to wait before killing the container" };
        Option<string?> signal = new("--signal", "-s") { Description = "Signal to send to the container" };
        Command command = new(name, restart ? "Restart one or more containers" : "Stop one or more running containers") { containers, time, signal };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            return ForEach(cli, parse.GetValue(containers)!, r =>
            {
                if (restart) session.Engine.Restart(r, parse.GetValue(time), parse.GetValue(signal));
                else session.Engine.Stop(r, parse.GetValue(time), parse.GetValue(signal));
            });
        });
        return command;
    }

    public static Command Kill(CliContext cli, string name)
    {
        Argument<string[]> containers = Containers();
        Option<string> signal = new("--signal", "-s") { Description = "Signal to send to the container", DefaultValueFactory = _ => "KILL" };
        Command command = new(name, "Kill one or more running containers") { containers, signal };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            string sig = parse.GetValue(signal)!;
            string normalized = sig.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? sig[3..] : sig;
            return ForEach(cli, parse.GetValue(containers)!, r => session.Engine.Kill(r, normalized.ToUpperInvariant()));
        });
        return command;
    }

    public static Command Remove(CliContext cli, string name)
    {
        Argument<string[]> containers = Containers();
        Option<bool> force = new("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)" };
        Option<bool> volumes = new("--volumes", "-v") { Description = "Remove anonymous volumes associated with the container" };
        Command command = new(name, "Remove one or more containers") { containers, force, volumes };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            string[] references = parse.GetValue(containers)!;
            bool forced = parse.GetValue(force), anonymous = parse.GetValue(volumes);
            // Docker's rm -f reports a container that does not exist, and still succeeds.
            Func<EngineException, bool> harmless = e => forced && e is NoSuchContainerException;
            // A reference given twice is removed once, then reported missing, as one after another
            // does; side by side, two workers would race on one container.
            if (references.Length == 1 || references.Distinct().Count() != references.Length)
                return ForEach(cli, references, r => session.Engine.Remove(r, forced, anonymous), harmless: harmless);
            // rm -f of several: every one is killed before the first is waited for. A reference that
            // cannot be killed here (ambiguous, say) gets its error from its own removal below.
            Dictionary<string, CleanupOwner?> killed = [];
            if (forced)
                foreach (string reference in references)
                {
                    try
                    {
                        killed[reference] = session.Engine.KillForRemoval(reference);
                    }
                    catch (EngineException)
                    {
                        killed[reference] = null;
                    }
                }
            try
            {
                return RemoveConcurrently(cli, parse, session, references, harmless, (engine, r) =>
                {
                    try
                    {
                        engine.Engine.Remove(r, forced, anonymous);
                    }
                    finally
                    {
                        lock (killed)
                            if (killed.Remove(r, out CleanupOwner? claim)) claim?.Dispose();
                    }
                });
            }
            finally
            {
                foreach (CleanupOwner? claim in killed.Values) claim?.Dispose();
            }
        });
        return command;
    }

    /// <summary>
    /// Several containers are removed side by side, as Docker's CLI does, and reported in the order
    /// given: each removal waits mostly on runtime processes (delete) and the file system, which
    /// one after another made rm -f of 100 containers take seconds. Each worker has an engine of its
    /// own (its own database connection), so the workers stand to each other as concurrent skiff
    /// processes do: the containers' locks keep them apart. <paramref name="first"/> is one of them.
    /// </summary>
    private static int RemoveConcurrently(CliContext cli, ParseResult parse, EngineSession first, string[] references, Func<EngineException, bool> harmless, Action<EngineSession, string> remove)
    {
        int workers = Math.Min(references.Length, Math.Clamp(Environment.ProcessorCount * 2, 2, 8));
        List<EngineSession> sessions = [first];
        Exception?[] failures = new Exception?[references.Length];
        try
        {
            while (sessions.Count < workers) sessions.Add(cli.Engine(parse));
            int next = -1;
            Thread[] threads = [.. sessions.Select(session => new Thread(() =>
            {
                for (int i = Interlocked.Increment(ref next); i < references.Length; i = Interlocked.Increment(ref next))
                {
                    try
                    {
                        remove(session, references[i]);
                    }
                    catch (Exception e)
                    {
                        failures[i] = e;
                    }
                }
            }) { Name = "rm" })];
            foreach (Thread thread in threads) thread.Start();
            foreach (Thread thread in threads) thread.Join();
        }
        finally
        {
            foreach (EngineSession session in sessions.Skip(1)) session.Dispose();
        }
        int exit = 0;
        for (int i = 0; i < references.Length; i++)
        {
            if (failures[i] is null) cli.Out.WriteLine(references[i]);
            else if (failures[i] is EngineException e)
            {
                cli.Error.WriteLine($"Error response from daemon: {e.Message}");
                if (!harmless(e)) exit = 1;
            }
        }
        // An unexpected failure is thrown after every other container's outcome is reported.
        if (failures.FirstOrDefault(f => f is not null and not EngineException) is { } other)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(other);
        return exit;
    }

    public static Command Wait(CliContext cli, string name)
    {
        Argument<string[]> containers = Containers();
        Command command = new(name, "Block until one or more containers stop, then print their exit codes") { containers };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            int exit = 0;
            foreach (string reference in parse.GetValue(containers)!)
            {
                try
                {
                    cli.Out.WriteLine(session.Engine.Wait(reference));
                }
                catch (EngineException e)
                {
                    cli.Error.WriteLine($"Error response from daemon: {e.Message}");
                    exit = 1;
                }
            }
            return exit;
        });
        return command;
    }

    public static Command Pause(CliContext cli, string name, bool pause)
    {
        Argument<string[]> containers = Containers();
        Command command = new(name, pause ? "Pause all processes within one or more containers" : "Unpause all processes within one or more containers") { containers };
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            return ForEach(cli, parse.GetValue(containers)!, r =>
            {
                if (pause) session.Engine.Pause(r);
                else session.Engine.Unpause(r);
            });
        });
        return command;
    }

    /// <summary>What conmon runs when a container exits (hidden, like podman's container cleanup).</summary>
    public static Command Cleanup(CliContext cli, string name)
    {
        Argument<string> container = new("CONTAINER");
        Command command = new(name, "Clean up an exited container (called by its monitor)") { container };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            string id = parse.GetValue(container)!;
            // A claimant (an attached run, rm -f, stop) settles the container itself: wait for it
            // first, so that this process's own work (the cgroup moves below) falls after the
            // claimant's, not on the 2 cores it needs as the container exits; and when the claimant
            // removed the container there is nothing to open the engine for.
            EngineLayout layout = new(parse.GetValue(cli.Root)!);
            bool claimed = CleanupOwner.WaitForClaims(layout, id);
            string? monitors = ConmonCgroup.Leave();
            try
            {
                if (claimed && !Directory.Exists(layout.Bundle(id))) return 0;
                using EngineSession session = cli.Engine(parse);
                session.Engine.Cleanup(id);
                return 0;
            }
            finally
            {
                // The last exit command out of the monitors' cgroup removes it.
                if (monitors is not null) ConmonCgroup.Release(monitors);
            }
        });
        return command;
    }
}
