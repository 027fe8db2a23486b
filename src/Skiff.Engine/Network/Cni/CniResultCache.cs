using System.Text.Json;
using Skiff.Images.Fs;

namespace Skiff.Engine.Network.Cni;

/// <summary>
/// The ADD results a later CHECK and DEL need, one file per network, container and interface
/// (<c>NETWORK-CONTAINER-IFNAME.json</c>) under the engine root, so a private --root keeps its own.
/// </summary>
internal sealed class CniResultCache(string directory)
{
    public string Directory { get; } = directory;

    public string PathOf(string network, string containerId, string ifName) => Path.Combine(Directory, $"{network}-{containerId}-{ifName}.json");

    public CniCacheEntry? Read(string network, string containerId, string ifName)
    {
        string path = PathOf(network, containerId, ifName);
        try
        {
            using FileStream stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, CniJsonContext.Default.CniCacheEntry);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException)
        {
            // A torn or foreign file cannot guide a DEL; DEL then runs without a previous result, as
            // the spec allows.
            return null;
        }
    }

    public void Write(CniCacheEntry entry)
    {
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AtomicFile.Write(PathOf(entry.NetworkName, entry.ContainerId, entry.IfName), JsonSerializer.SerializeToUtf8Bytes(entry, CniJsonContext.Default.CniCacheEntry));
    }

    public void Delete(string network, string containerId, string ifName) => File.Delete(PathOf(network, containerId, ifName));
}
