using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Oci.Runtime;

namespace Skiff.Cgroups;

/// <summary>
/// What a container's resources are after `update`: the stored ones with every value the update sets
/// laid over them, so a later update, exec or state reader sees the limits in force (runc keeps the
/// same in its state). Lists (device rules, per-device throttles, hugepage limits, priorities) are
/// replaced whole when the update gives them, as the cgroup files are; objects and keyed maps merge
/// member by member. The merge runs over the JSON form, so a field the model gains is merged too.
/// </summary>
public static class ResourceMerge
{
    public static LinuxResources Merge(LinuxResources? stored, LinuxResources update)
    {
        var merged = JsonSerializer.SerializeToNode(stored ?? new LinuxResources(), OciJsonContext.Default.LinuxResources)!.AsObject();
        Lay(merged, JsonSerializer.SerializeToNode(update, OciJsonContext.Default.LinuxResources)!.AsObject());
        return merged.Deserialize(OciJsonContext.Default.LinuxResources)!;
    }

    private static void Lay(JsonObject target, JsonObject update)
    {
        foreach (var (name, value) in update)
        {
            if (value is null) continue; // not given (the model writes no nulls; a hand-made node might)
            if (value is JsonObject inner && target[name] is JsonObject existing) Lay(existing, inner);
            else target[name] = value.DeepClone();
        }
    }
}
