using System.Text.Json;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime;

/// <summary>
/// An OCI bundle on disk: its directory, its parsed config.json (and the bytes it was parsed from,
/// which create keeps as they are) and its rootfs.
/// </summary>
public sealed record Bundle(string Directory, Spec Spec, string RootfsPath, byte[] ConfigBytes)
{
    public static Bundle Load(string path)
    {
        string directory = Path.GetFullPath(string.IsNullOrEmpty(path) ? "." : path);
        string configPath = Path.Combine(directory, "config.json");
        if (System.IO.Directory.Exists(configPath)) throw new RuntimeException($"{configPath}: is a directory, not a file");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(configPath); }
        catch (FileNotFoundException) { throw new RuntimeException($"JSON specification file config.json not found in bundle {directory}"); }
        catch (DirectoryNotFoundException) { throw new RuntimeException($"bundle {directory}: no such file or directory"); }
        catch (UnauthorizedAccessException) { throw new RuntimeException($"{configPath}: permission denied"); }

        Spec spec;
        try
        {
            spec = SpecReader.Read(bytes)
                ?? throw new RuntimeException($"{configPath}: the file holds null, not a config");
        }
        catch (JsonException e) { throw new RuntimeException($"{configPath}: {OciJsonError.Describe(e, bytes)}"); }

        if (string.IsNullOrEmpty(spec.OciVersion))
            throw new RuntimeException($"{configPath}: ociVersion is missing");
        if (!spec.OciVersion.StartsWith("1.", StringComparison.Ordinal))
            throw new RuntimeException($"{configPath}: ociVersion {spec.OciVersion} is not supported (skiff-runc implements 1.x)");
        if (spec.Process is null)
            throw new RuntimeException($"{configPath}: process is missing");
        if (spec.Root is null || string.IsNullOrEmpty(spec.Root.Path))
            throw new RuntimeException($"{configPath}: root.path is missing");

        string rootfs = Path.GetFullPath(Path.Combine(directory, spec.Root.Path));
        if (File.Exists(rootfs))
            throw new RuntimeException($"root.path {ErrorText.Bounded(rootfs)}: not a directory");
        if (!System.IO.Directory.Exists(rootfs))
            throw new RuntimeException($"rootfs {ErrorText.Bounded(rootfs)}: stat {ErrorText.Bounded(rootfs)}: no such file or directory");
        return new Bundle(directory, spec, rootfs, bytes);
    }
}
