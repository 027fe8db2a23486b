using Skiff.Engine.Containers;

namespace Skiff.Engine;

public sealed partial class ContainerEngine
{
    public void Pause(string reference) => SetFrozen(reference, true);

    public void Unpause(string reference) => SetFrozen(reference, false);

    private void SetFrozen(string reference, bool frozen)
    {
        ContainerRecord record = Resolve(reference);
        using ContainerLock guard = LockOf(record.Id);
        record = Resolve(record.Id);
        ContainerStatus want = frozen ? ContainerStatus.Running : ContainerStatus.Paused;
        if (record.State.Status != want)
            throw new EngineException(frozen
                ? $"container {record.Id} is {(record.State.Status == ContainerStatus.Paused ? "already paused" : "not running")}"
                : $"container {record.Id} is not paused", 1);
        if (frozen) Runtime(record).Pause(record.Id);
        else Runtime(record).Resume(record.Id);
        record.State.Status = frozen ? ContainerStatus.Paused : ContainerStatus.Running;
        Database.UpdateState(record);
        Emit(record, frozen ? "pause" : "unpause");
    }
}
