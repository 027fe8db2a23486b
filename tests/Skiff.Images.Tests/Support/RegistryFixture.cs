using Skiff.Images.Archive;

namespace Skiff.Images.Tests.Support;

/// <summary>
/// One registry for the pull tests, filled by skopeo (an independent implementation) from OCI
/// layouts written by the tests' own code. Every image is also kept as an OCI layout on disk,
/// for umoci to unpack as the reference result.
/// </summary>
public sealed class RegistryFixture : IDisposable
{
    public RegistryServer Registry { get; } = new();
    public TempDirectory Layouts { get; } = new("skiff-layouts");

    /// <summary>tag name → OCI layout directory holding it (for umoci and skopeo).</summary>
    public Dictionary<string, string> LayoutOf { get; } = [];
    public string MultiArm64Manifest { get; private set; } = "";
    public string MultiAmd64Manifest { get; private set; } = "";

    public RegistryFixture()
    {
        // xunit does not dispose a fixture whose constructor threw: stop the registry here then.
        try
        {
            Fill();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Fill()
    {
        byte[] rootfs = TestImages.BusyboxRootfs(), changes = TestImages.ChangesLayer(), third = TestImages.ThirdLayer();

        Publish("single", "oci-gzip", LayerCompression.Gzip, [rootfs, changes]);
        PublishDocker("single", "docker", "oci-gzip");
        Publish("zstd", "latest", LayerCompression.Zstd, [rootfs, changes]);
        Publish("plain", "latest", LayerCompression.None, [rootfs, changes]);
        Publish("whiteouts", "latest", LayerCompression.Gzip, [rootfs, changes, third]);
        Publish("shared-a", "latest", LayerCompression.Gzip, [rootfs, TestImages.SmallLayer("a", 300_000, 1)]);
        Publish("shared-b", "latest", LayerCompression.Gzip, [rootfs, TestImages.SmallLayer("b", 300_000, 2)]);
        // The top layer implies /srv without containing it: it must take /srv's attributes from below,
        // even though it is unpacked while the (larger) layer below is still being unpacked.
        Publish("implied", "latest", LayerCompression.Gzip,
        [
            new TarBuilder().Directory("srv/", (UnixFileMode)0x1e8, uid: 33, gid: 33).File("srv/blob", TestImages.SmallLayer("x", 4_000_000, 11)).Build(),
            new TarBuilder().File("srv/www/index.html", "<h1>hi</h1>").Build(),
        ]);
        Publish("big", "latest", LayerCompression.Gzip, [rootfs, TestImages.SmallLayer("big", 6_000_000, 3), TestImages.SmallLayer("big2", 3_000_000, 4)]);

        // A multi-platform index: amd64 and arm64/v8 with different contents.
        string multi = Layouts.CreateDirectory("multi");
        OciLayoutBuilder builder = new(multi);
        OciLayoutBuilder.Layer base_ = builder.AddLayer(rootfs, LayerCompression.Gzip);
        MultiAmd64Manifest = builder.AddImage([base_, builder.AddLayer(TestImages.SmallLayer("amd64", 1000, 5), LayerCompression.Gzip)], "amd64", cmd: ["echo", "amd64"]);
        MultiArm64Manifest = builder.AddImage([base_, builder.AddLayer(TestImages.SmallLayer("arm64", 1000, 6), LayerCompression.Gzip)], "arm64", "v8", cmd: ["echo", "arm64"]);
        builder.Finish(indexTag: "latest");
        Tools.Run("skopeo", "copy", "--all", "--dest-tls-verify=false", $"oci:{multi}:latest", $"docker://{Registry.Address}/test/multi:latest");
        LayoutOf["multi"] = multi;
    }

    public string Reference(string repository, string tag = "latest") => $"{Registry.Address}/test/{repository}:{tag}";

    private void Publish(string repository, string tag, LayerCompression compression, byte[][] layers)
    {
        string directory = Layouts.CreateDirectory($"{repository}-{tag}");
        OciLayoutBuilder builder = new(directory);
        builder.AddImage([.. layers.Select(layer => builder.AddLayer(layer, compression))], tag: tag);
        builder.Finish();
        Tools.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci:{directory}:{tag}", $"docker://{Registry.Address}/test/{repository}:{tag}");
        LayoutOf[$"{repository}:{tag}"] = directory;
    }

    /// <summary>The same image converted by skopeo to Docker's schema 2 media types.</summary>
    private void PublishDocker(string repository, string tag, string fromTag)
    {
        Tools.Run("skopeo", "copy", "--format", "v2s2", "--dest-tls-verify=false",
            $"oci:{LayoutOf[$"{repository}:{fromTag}"]}:{fromTag}", $"docker://{Registry.Address}/test/{repository}:{tag}");
    }

    public void Dispose()
    {
        Registry.Dispose();
        Layouts.Dispose();
    }
}

[CollectionDefinition("registry")]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>;
