namespace Skiff.Runtime.Launch;

/// <summary>
/// What the planner needs to know about the host rather than the config, gathered once before
/// planning and passed in, so a plan depends on its inputs alone and a test can name any host.
/// </summary>
public sealed record HostFacts(bool Resctrl)
{
    private static readonly Lazy<HostFacts> Gathered = new(Gather);

    /// <summary>This host's facts, read on first use.</summary>
    public static HostFacts Current => Gathered.Value;

    /// <summary>Resctrl: the resctrl filesystem is mounted (its info directory exists).</summary>
    private static HostFacts Gather() => new(Resctrl: Directory.Exists("/sys/fs/resctrl/info"));
}
