using Skiff.Images.Fs;

namespace Skiff.Images.Tests.Support;

/// <summary>A private directory under /tmp, removed (never following symlinks) on Dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; }

    public TempDirectory(string prefix = "skiff-img-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string CreateDirectory(params string[] parts)
    {
        string path = Combine(parts);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        // Mounts left behind by a failed test would make removal fail: detach them first.
        foreach (string line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            string mountPoint = line.Split(' ')[4];
            if (mountPoint.StartsWith(Path + "/", StringComparison.Ordinal))
                Skiff.Linux.Interop.Libc.Umount2(mountPoint, 2);
        }
        ScopedFs.RemoveTree(Path);
    }
}
