using System.Text.Json;
using Skiff.Engine.Containers;
using Skiff.Engine.Runtime;

namespace Skiff.Engine;

/// <summary>rename, update, prune and the runtime's process list: verbs that change or read a container without starting it.</summary>
public sealed partial class ContainerEngine
{
    public void Rename(string reference, string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new EngineException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        ContainerRecord record = Database.Resolve(reference);
        using ContainerLock guard = LockOf(record.Id);
        record = Database.Find(record.Id) ?? throw new NoSuchContainerException(reference);
        if (record.Name == name) throw new EngineException($"Renaming a container with the same name as its current name", 1);
        Database.Rename(record.Id, name);
        string old = record.Name;
        record.Name = name;
        Emit(record, "rename", ("oldName", "/" + old));
        // The rename is done once the record has the name; peers' files and DNS follow it, and a
        // failure there is the user's to know without undoing the rename.
        Networking.Renamed(record);
    }

    /// <summary>
    /// Docker's update: resource limits go to the runtime at once when the container runs (runc's
    /// update flags) and into the stored request, so the next start applies them too.
    /// </summary>
    public void Update(string reference, ResourceRequest resources, RestartPolicy? restart)
    {
        ContainerRecord record = Database.Resolve(reference);
        using ContainerLock guard = LockOf(record.Id);
        record = Refresh(Database.Find(record.Id) ?? throw new NoSuchContainerException(reference));
        List<string> args = ["update"];
        if (resources.Memory is { } memory) args.AddRange(["--memory", memory.ToString()]);
        if (resources.MemorySwap is { } swap) args.AddRange(["--memory-swap", swap.ToString()]);
        if (resources.MemoryReservation is { } reservation) args.AddRange(["--memory-reservation", reservation.ToString()]);
        if (resources.NanoCpus is { } nano) args.AddRange(["--cpu-period", "100000", "--cpu-quota", (nano * 100_000 / 1_000_000_000).ToString()]);
        if (resources.CpuShares is { } shares) args.AddRange(["--cpu-shares", shares.ToString()]);
        if (resources.CpusetCpus is { } cpus) args.AddRange(["--cpuset-cpus", cpus]);
        if (resources.PidsLimit is { } pids) args.AddRange(["--pids-limit", pids.ToString()]);
        if (args.Count > 1 && record.State.Status is ContainerStatus.Running or ContainerStatus.Paused)
        {
            args.Add(record.Id);
            RuntimeResult result = Runtime(record).Run([.. args]);
            if (result.Exit != 0) throw new EngineException($"Cannot update container {record.Id}: {OciRuntimeClient.Message(result.Error)}", 1);
        }
        ResourceRequest stored = record.Request.Resources;
        stored.Memory = resources.Memory ?? stored.Memory;
        stored.MemorySwap = resources.MemorySwap ?? stored.MemorySwap;
        stored.MemoryReservation = resources.MemoryReservation ?? stored.MemoryReservation;
        stored.NanoCpus = resources.NanoCpus ?? stored.NanoCpus;
        stored.CpuShares = resources.CpuShares ?? stored.CpuShares;
        stored.CpusetCpus = resources.CpusetCpus ?? stored.CpusetCpus;
        stored.PidsLimit = resources.PidsLimit ?? stored.PidsLimit;
        if (restart is not null)
        {
            if (restart.Name != "no" && record.Request.AutoRemove) throw new EngineException("Conflicting options: --restart and --rm", 1);
            record.Request.RestartPolicy = restart;
        }
        Database.UpdateRequest(record);
    }

    /// <summary>The host pids of every process in the container, from the runtime's ps.</summary>
    public List<int> Processes(ContainerRecord record)
    {
        RuntimeResult result = Runtime(record).Run("ps", "--format", "json", record.Id);
        if (result.Exit != 0) throw new EngineException($"{record.Name}: {OciRuntimeClient.Message(result.Error)}", 1);
        return [.. JsonSerializer.Deserialize(result.Output, EngineJsonContext.Default.ListInt32) ?? []];
    }

    /// <summary>Removes every stopped container (created, exited, dead); returns their ids.</summary>
    public List<string> Prune(Func<ContainerRecord, bool> filter)
    {
        List<string> removed = [];
        foreach (ContainerRecord record in List())
        {
            if (record.State.Status is not (ContainerStatus.Created or ContainerStatus.Exited or ContainerStatus.Dead) || !filter(record)) continue;
            try
            {
                Remove(record.Id, force: false, volumes: false);
                removed.Add(record.Id);
            }
            catch (NoSuchContainerException) { }
        }
        return removed;
    }
}
