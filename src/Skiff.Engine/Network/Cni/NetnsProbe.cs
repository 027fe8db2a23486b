using Skiff.Linux;

namespace Skiff.Engine.Network.Cni;

/// <summary>Whether a netns path still names a live network namespace.</summary>
internal static class NetnsProbe
{
    /// <summary>
    /// A bind-mounted netns is alive while its nsfs mount is there; the file it was mounted on
    /// outlives it, and handing that empty file to a plugin makes the plugin fail instead of
    /// treating the namespace as gone. A /proc/PID/ns/net of a live process is nsfs too.
    /// </summary>
    public static bool IsAlive(string path) => FileSystemType.IsNamespaceFile(path);
}
