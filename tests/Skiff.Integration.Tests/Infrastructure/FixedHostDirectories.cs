namespace Skiff.Integration.Tests.Infrastructure;

/// <summary>
/// Directories a client makes at fixed host paths that no setting moves (containerd 1.6's shim
/// sockets, Podman 4.3's network run directory). Those that did not exist when this was made are
/// removed again by <see cref="RemoveMade"/>, if they are empty: the machine is left as found.
/// </summary>
/// <param name="paths">Parents before their children.</param>
public sealed class FixedHostDirectories(params string[] paths)
{
    private readonly string[] _made = paths.Where(p => !Directory.Exists(p)).Reverse().ToArray();

    public void RemoveMade()
    {
        foreach (var dir in _made)
        {
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
                Directory.Delete(dir);
        }
    }
}
