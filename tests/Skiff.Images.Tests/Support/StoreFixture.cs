using Skiff.Images.Mounts;
using Skiff.Images.Registry;

namespace Skiff.Images.Tests.Support;

/// <summary>A fresh store root and an ImageService over it, both private to one test.</summary>
public sealed class TestStore : IDisposable
{
    public TempDirectory Directory { get; } = new("skiff-store");
    public ImageService Service { get; }
    public string Root => Directory.Combine("root");

    public TestStore(RegistryConfig? registries = null, string? authFile = null, bool? tlsVerify = null, long uploadChunkSize = 32L * 1024 * 1024)
    {
        Service = new ImageService(new ImageServiceOptions
        {
            Root = Root,
            Registries = registries ?? new RegistryConfig(),
            AuthFilePath = authFile ?? Directory.Combine("auth.json"),
            TlsVerify = tlsVerify,
            FirstRetryDelay = TimeSpan.FromMilliseconds(20),
            UploadChunkSize = uploadChunkSize,
        });
    }

    /// <summary>Mounts the image's snapshots read-only and captures the merged tree.</summary>
    public SortedDictionary<string, string> MergedTree(string reference, bool includeTimes = true)
    {
        ImageRootfs rootfs = Service.GetRootfs(reference);
        string target = Directory.CreateDirectory("merged-" + Guid.NewGuid().ToString("N")[..8]);
        OverlayMount mount = new(rootfs.LowerDirectories);
        mount.Mount(target);
        try
        {
            return TreeState.Capture(target, includeTimes, includeRootTimes: false);
        }
        finally
        {
            OverlayMount.Unmount(target);
        }
    }

    public void Dispose()
    {
        Service.Dispose();
        Directory.Dispose();
    }
}
