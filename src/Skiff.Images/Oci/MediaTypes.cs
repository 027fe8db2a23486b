namespace Skiff.Images.Oci;

/// <summary>The media types skiff reads and writes (OCI image-spec and Docker's schema 2).</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciForeignLayer = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    public const string OciForeignLayerGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string OciForeignLayerZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsSchema1(string? mediaType) => mediaType is DockerSchema1 or DockerSchema1Signed;

    public static bool IsLayer(string? mediaType) => mediaType is OciLayer or OciLayerGzip or OciLayerZstd
        or OciForeignLayer or OciForeignLayerGzip or OciForeignLayerZstd or DockerLayerGzip or DockerForeignLayerGzip;

    /// <summary>Foreign layers live outside the registry (Windows base layers): never pushed.</summary>
    public static bool IsForeignLayer(string? mediaType) => mediaType is OciForeignLayer or OciForeignLayerGzip
        or OciForeignLayerZstd or DockerForeignLayerGzip;

    /// <summary>What a registry is asked for when a manifest is fetched: every kind skiff understands.</summary>
    public static readonly string[] ManifestAccept =
        [OciIndex, OciManifest, DockerManifestList, DockerManifest, DockerSchema1Signed, DockerSchema1];
}
