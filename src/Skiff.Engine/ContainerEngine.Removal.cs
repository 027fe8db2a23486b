using Skiff.Engine.Containers;
using Skiff.Engine.Monitor;
using Skiff.Engine.Runtime;
using Skiff.Images.Mounts;
using Skiff.Linux;

namespace Skiff.Engine;

public sealed partial class ContainerEngine
{
    private const int SIGKILL = 9;

    /// <summary>
    /// The first half of rm -f for several containers: claims the cleanup and sends SIGKILL to the
    /// container's init, so they all die together and each <see cref="Remove"/> finds its container
    /// already exited. Null when the container does not exist (rm -f's silence is the caller's).
    /// </summary>
    public CleanupOwner? KillForRemoval(string reference)
    {
        ContainerRecord record;
        try
        {
            record = Database.Resolve(reference);
        }
        catch (NoSuchContainerException)
        {
            return null;
        }
        CleanupOwner owner = CleanupOwner.Claim(Layout, record.Id);
        try
        {
            using ContainerLock guard = LockOf(record.Id);
            if (Database.Find(record.Id) is { } current && Refresh(current) is { State.Status: ContainerStatus.Running } running && ProcessAlive(running.State))
            {
                running.State.StoppedByUser = true;
                Database.UpdateState(running);
                // The init's death ends the container (its pid namespace); Remove still has the
                // runtime kill whatever a shared pid namespace leaves, through its delete --force.
                Interop.Libc.Kill(running.State.Pid, SIGKILL);
            }
            return owner;
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>
    /// rm's teardown: the runtime's delete and the network's backend teardown, processes of their
    /// own, run while the rootfs is unmounted and the writable layer removed, when the container's
    /// process is known to be gone.
    /// </summary>
    private void TearDownForRemoval(ContainerRecord record, OciRuntimeClient runtime)
    {
        SettleLiveMonitor(record, runtime);
        bool exited = File.Exists(Layout.ExitFile(record.Id)) || !ProcessAlive(record.State);
        if (!record.State.Mounted || !exited)
        {
            TearDown(record, runtime);
            return;
        }
        // Begun first: if it fails, no runtime delete is left running unawaited.
        Network.NetworkUnwiring unwiring = Networking.BeginStop(record);
        Task deleting = Task.Run(() => runtime.Delete(record.Id));
        try
        {
            string rootfs = Layout.Rootfs(record.Id);
            if (Directory.Exists(rootfs)) OverlayMount.Unmount(rootfs);
            Volumes.Release(record.Id);
            Images.RemoveContainer(record.Id);
        }
        finally
        {
            try
            {
                deleting.GetAwaiter().GetResult();
            }
            finally
            {
                unwiring.Finish();
            }
        }
        record.State.Mounted = false;
    }

    /// <summary>
    /// A monitor still alive without an exit file: a start whose skiff died while conmon was having
    /// the runtime create the container. Once the runtime's create has ended either way, its
    /// delete --force ends the container, and conmon's exit file says it has let go of the bundle.
    /// </summary>
    private void SettleLiveMonitor(ContainerRecord record, OciRuntimeClient runtime)
    {
        int conmon = record.State.ConmonPid > 0 ? record.State.ConmonPid : ReadPid(Layout.ConmonPidFile(record.Id));
        if (File.Exists(Layout.ExitFile(record.Id)) || !Alive(conmon)) return;
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (Alive(conmon) && runtime.Status(record.Id) is null && DateTime.UtcNow < deadline) Thread.Sleep(20);
        runtime.Delete(record.Id);
        record.State.ConmonPid = conmon;
        record.State.Pid = ReadPid(Layout.PidFile(record.Id));
        record.State.PidStartTime = HostProcess.StartTime(record.State.Pid);
        WaitForExit(record, TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// A record still "created" but mounted: a start is under way, or its skiff died between the
    /// runtime's create and recording the start. The runtime says which; a container that runs
    /// or already ran is shown as such (the next mutating verb settles the rest).
    /// </summary>
    private void InterruptedStart(ContainerRecord record)
    {
        if (File.Exists(Layout.ExitFile(record.Id)))
        {
            RecordExit(record);
            return;
        }
        string? status = Runtime(record).Status(record.Id);
        if (status is not ("running" or "paused")) return;
        record.State.Status = status == "paused" ? ContainerStatus.Paused : ContainerStatus.Running;
        record.State.Pid = ReadPid(Layout.PidFile(record.Id));
        record.State.PidStartTime = HostProcess.StartTime(record.State.Pid);
        record.State.ConmonPid = ReadPid(Layout.ConmonPidFile(record.Id));
        // The runtime's create wrote the pid file: this run's start, not a last run's.
        record.State.StartedAt = File.GetLastWriteTimeUtc(Layout.PidFile(record.Id));
    }
}
