namespace Skiff.Images.Archive;

/// <summary>The OCI layer whiteout names (image-spec layer.md) and overlayfs's equivalents.</summary>
public static class Whiteouts
{
    public const string Prefix = ".wh.";
    public const string MetaPrefix = ".wh..wh.";
    public const string Opaque = ".wh..wh..opq";
    public const string OverlayOpaqueXattr = "trusted.overlay.opaque";

    /// <summary>overlayfs's own xattrs: never taken from an archive, where they could redirect lookups.</summary>
    public const string OverlayXattrPrefix = "trusted.overlay.";
}
