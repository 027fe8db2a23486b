namespace Skiff.Engine.Network;

/// <summary>
/// A starting container's network: the netns the runtime joins, known at once, and the backend's
/// setup of it, which runs while the runtime creates the container (the container's process runs
/// only at the runtime's start, so it never sees a namespace half wired).
/// </summary>
public sealed class NetworkWiring
{
    private readonly Task<NetworkStatus>? _setup;
    private readonly Action<NetworkStatus>? _record;

    internal NetworkWiring(string? netns, Task<NetworkStatus>? setup, Action<NetworkStatus>? record)
    {
        Netns = netns;
        _setup = setup;
        _record = record;
    }

    internal static NetworkWiring Done(string? netns) => new(netns, null, null);

    /// <summary>The netns path the runtime joins; null when the runtime makes its own, or uses the host's.</summary>
    public string? Netns { get; }

    /// <summary>
    /// Waits for the backend's setup and records its result (the run's status, the hosts files of the
    /// container and its peers, resolv.conf). Throws the setup's error: the caller's teardown undoes it.
    /// </summary>
    public void Complete()
    {
        if (_setup is null) return;
        NetworkStatus status;
        try
        {
            status = _setup.GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not EngineException)
        {
            // A plugin's unreadable output or a file the backend could not read: still the start's
            // failure, which the caller tears down (it undoes only EngineExceptions).
            throw new EngineException($"network setup: {e.Message}");
        }
        _record!(status);
    }

    /// <summary>Before a failed start's teardown: the setup, if it still runs, is let finish, whatever its outcome.</summary>
    public void Settle()
    {
        if (_setup is null) return;
        try
        {
            _setup.Wait();
        }
        catch (AggregateException)
        {
            // Its error, if the start got that far, was the start's; the teardown undoes what it did.
        }
    }
}
