namespace Skiff.Engine.Network;

/// <summary>A container's network teardown under way (<see cref="ContainerNetworking.BeginStop"/>).</summary>
public sealed class NetworkUnwiring
{
    private readonly Task<List<string>>? _unwiring;
    private readonly Action _release;
    private readonly string _name;

    internal NetworkUnwiring(Task<List<string>>? unwiring, Action release, string name = "")
    {
        _unwiring = unwiring;
        _release = release;
        _name = name;
    }

    /// <summary>Waits for the backend's teardown, then releases what the database holds for the run.</summary>
    public void Finish()
    {
        List<string> problems = _unwiring?.GetAwaiter().GetResult() ?? [];
        _release();
        // Teardown runs on paths that must go on (rm, cleanup after a death); what failed is
        // said, and what could be undone was.
        foreach (string problem in problems) Console.Error.WriteLine($"skiff: network teardown of {_name}: {problem}");
    }
}
