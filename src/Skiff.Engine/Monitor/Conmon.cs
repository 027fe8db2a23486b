using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Skiff.Engine.Config;
using Skiff.Engine.Containers;
using Skiff.Engine.Logs;
using Skiff.Engine.Runtime;
using Skiff.Linux;

namespace Skiff.Engine.Monitor;

/// <summary>conmon's report on its sync pipe: the container's pid, or -1 and the runtime's error.</summary>
public sealed class ConmonReport
{
    [JsonPropertyName("data")] public int Data { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}

/// <summary>
/// Starts conmon, the per-container monitor Podman uses, for one container: conmon runs the
/// runtime's <c>create</c>, holds the container's stdio (log file, attach socket, pty), writes the
/// exit file, and when the container exits runs <c>skiff container cleanup ID</c>, so no skiff
/// process has to stay. conmon double-forks: the process we spawn exits at once, and its report
/// arrives on the sync pipe (fd 3 in conmon, named by _OCI_SYNCPIPE).
/// </summary>
public sealed class Conmon(EngineConfig config, EngineLayout layout, IReadOnlyList<string> exitCommand, IReadOnlyList<string> self)
{
    private const int SyncFd = 3, StartFd = 4;

    /// <summary>Creates the container under a new conmon and returns the container's pid.</summary>
    public int Create(ContainerRecord record, OciRuntimeClient runtime)
    {
        string bundle = layout.Bundle(record.Id);
        LogPolicy policy = LogPolicy.Of(record.Request);
        LogPipe? pipe = policy.NeedsWriter ? LogPipe.Start(bundle, layout.LogFile(record.Id), policy, self) : null;
        try
        {
            return Create(record, runtime, bundle, policy, pipe);
        }
        catch
        {
            pipe?.Abandon();
            throw;
        }
    }

    private int Create(ContainerRecord record, OciRuntimeClient runtime, string bundle, LogPolicy policy, LogPipe? pipe)
    {
        List<string> args =
        [
            config.ConmonPath, "--api-version", "1",
            "-c", record.Id, "-u", record.Id, "-n", record.Name,
            "-r", runtime.Executable, "-b", bundle,
            "-p", layout.PidFile(record.Id), "--conmon-pidfile", layout.ConmonPidFile(record.Id),
            "--exit-dir", layout.Exits, "--persist-dir", bundle,
            "--full-attach", "--socket-dir-path", bundle,
            "-l", policy.Driver == "none" ? "none" : "k8s-file:" + (pipe?.Path ?? layout.LogFile(record.Id)), "--log-level", "error",
            "--runtime-arg", "--root", "--runtime-arg", runtime.StateRoot,
            "--exit-command", exitCommand[0],
        ];
        foreach (string arg in exitCommand.Skip(1)) args.AddRange(["--exit-command-arg", arg]);
        // conmon rotates by starting its one file over; the writer rotates for itself, and a FIFO has nothing to sync.
        if (pipe is null && policy.MaxSize > 0) args.AddRange(["--log-size-max", policy.MaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (pipe is not null) args.Add("--no-sync-log");
        if (record.Request.Tty) args.Add("-t");
        if (record.Request.OpenStdin) args.Add("-i");
        if (record.Request.OpenStdin && !record.Request.StdinOnce) args.Add("--leave-stdin-open");

        string[] environment = [.. Skiff.Linux.ProcessSpawn.CurrentEnvironment().Where(e => !e.StartsWith("_OCI_", StringComparison.Ordinal)),
            $"_OCI_SYNCPIPE={SyncFd}", $"_OCI_STARTPIPE={StartFd}"];
        (int read, int write) = ProcessSpawner.Pipe();
        (int startRead, int startWrite) = ProcessSpawner.Pipe();
        string errors = Path.Combine(bundle, "conmon.err");
        int pid;
        try
        {
            pid = ProcessSpawner.Spawn(config.ConmonPath, args, environment, [(write, SyncFd), (startRead, StartFd)], errors);
        }
        catch
        {
            Interop.Libc.Close(read);
            Interop.Libc.Close(startWrite);
            throw;
        }
        finally
        {
            Interop.Libc.Close(write);
            Interop.Libc.Close(startRead);
        }
        string? cgroup = ConmonCgroup.PathUnder(record.Request.CgroupParent ?? config.CgroupParent);
        try
        {
            // conmon waits on its start pipe before it forks: moved now, all it starts is born in its cgroup.
            if (cgroup is not null) ConmonCgroup.Enter(cgroup, pid);
            byte go = 0;
            unsafe
            {
                Interop.Libc.Write(startWrite, &go, 1);
            }
        }
        catch
        {
            Interop.Libc.Kill(pid, 9);
            ProcessSpawner.Wait(pid);
            Interop.Libc.Close(read);
            // Enter may have made the monitors' cgroup and failed to move conmon into it.
            if (cgroup is not null) ConmonCgroup.RemoveIfUnused(cgroup);
            throw;
        }
        finally
        {
            Interop.Libc.Close(startWrite);
        }
        int status = ProcessSpawner.Wait(pid);
        using FileStream sync = new(new Microsoft.Win32.SafeHandles.SafeFileHandle(read, ownsHandle: true), FileAccess.Read);
        string? line = new StreamReader(sync, Encoding.UTF8).ReadLine();
        if (line is null)
        {
            string said = File.Exists(errors) ? File.ReadAllText(errors).Trim() : "";
            throw new EngineException($"conmon for {record.ShortId} failed{(status != 0 ? $" (exit {status})" : "")}: {(said.Length > 0 ? said : "it reported nothing")}");
        }
        ConmonReport report = JsonSerializer.Deserialize(line, EngineJsonContext.Default.ConmonReport) ?? new() { Data = -1 };
        if (report.Data <= 0) throw CreateFailure(report.Message);
        return report.Data;
    }

    /// <summary>
    /// The runtime's create failed: its message, with Docker's exit codes for a command that
    /// cannot be found (127) or run (126).
    /// </summary>
    private static EngineException CreateFailure(string? stderr)
    {
        string message = OciRuntimeClient.Message(stderr ?? "");
        int code = message.Contains("executable file not found", StringComparison.Ordinal) || message.Contains("no such file or directory", StringComparison.Ordinal) ? EngineException.NotFound
            : message.Contains("permission denied", StringComparison.Ordinal) ? EngineException.CannotInvoke
            : EngineException.EngineError;
        return new EngineException(message, code);
    }
}
