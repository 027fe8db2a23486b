using System.IO.Compression;
using Skiff.Images.Oci;

namespace Skiff.Images.Archive;

public enum LayerCompression { None, Gzip, Zstd }

/// <summary>Tells a layer's compression from its first bytes (as Docker does: media types lie).</summary>
public static class Compression
{
    private static ReadOnlySpan<byte> GzipMagic => [0x1f, 0x8b];
    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xb5, 0x2f, 0xfd];

    public static LayerCompression Detect(ReadOnlySpan<byte> head) =>
        head.StartsWith(GzipMagic) ? LayerCompression.Gzip
        : head.StartsWith(ZstdMagic) ? LayerCompression.Zstd
        : LayerCompression.None;

    public static string OciLayerMediaType(LayerCompression compression) => compression switch
    {
        LayerCompression.Gzip => MediaTypes.OciLayerGzip,
        LayerCompression.Zstd => MediaTypes.OciLayerZstd,
        _ => MediaTypes.OciLayer,
    };

    /// <summary>A stream of the uncompressed tar, whatever <paramref name="source"/> is compressed with.</summary>
    public static Stream OpenDecompressed(Stream source, out LayerCompression compression)
    {
        byte[] head = new byte[4];
        int read = source.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        compression = Detect(head.AsSpan(0, read));
        Stream whole = new PrefixedStream(head.AsMemory(0, read), source);
        return compression switch
        {
            LayerCompression.Gzip => new GZipStream(whole, CompressionMode.Decompress),
            LayerCompression.Zstd => new ZstdDecompressionStream(whole),
            _ => whole,
        };
    }
}
