namespace Skiff.Engine.Network;

/// <summary>A container's network teardown under way (<see cref="ContainerNetworking.BeginStop"/>).</summary>
public sealed class NetworkUnwiring
{
    private readonly Task<TeardownOutcome>? _unwiring;
    private readonly Action<bool> _release;
    private readonly string _name;

    /// <param name="release">Given whether the backend's teardown failed, and so was deferred.</param>
    internal NetworkUnwiring(Task<TeardownOutcome>? unwiring, Action<bool> release, string name = "")
    {
        _unwiring = unwiring;
        _release = release;
        _name = name;
    }

    /// <summary>Waits for the backend's teardown, then releases (or keeps, when it failed) what the database holds for the run.</summary>
    public void Finish()
    {
        TeardownOutcome outcome = _unwiring?.GetAwaiter().GetResult() ?? new TeardownOutcome([], BackendFailed: false);
        _release(outcome.BackendFailed);
        // Teardown runs on paths that must go on (rm, cleanup after a death); what failed is
        // said, and what could be undone was.
        foreach (string problem in outcome.Problems) Console.Error.WriteLine($"skiff: network teardown of {_name}: {problem}");
        if (outcome.BackendFailed)
            Console.Error.WriteLine($"skiff: network teardown of {_name}: its addresses and published ports stay reserved, and the teardown is tried again at the next container start");
    }
}

/// <summary>What a teardown could not do; <paramref name="BackendFailed"/>: the backend's own part, which is then deferred.</summary>
internal sealed record TeardownOutcome(List<string> Problems, bool BackendFailed);
