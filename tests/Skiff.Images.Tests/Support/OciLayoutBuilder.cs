using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Images.Archive;

namespace Skiff.Images.Tests.Support;

/// <summary>
/// Writes OCI image layouts by hand (our own bytes, not skiff's writer), for skopeo to push into
/// the registry: the images the pull tests fetch are made and published by independent code.
/// </summary>
public sealed class OciLayoutBuilder
{
    private readonly string _directory;
    private readonly List<JsonObject> _manifests = [];

    public OciLayoutBuilder(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    }

    public string Path_ => _directory;

    public sealed record Layer(string Digest, long Size, string DiffId, string MediaType);

    public Layer AddLayer(byte[] tar, LayerCompression compression)
    {
        byte[] blob = compression switch
        {
            LayerCompression.Gzip => Gzip(tar),
            LayerCompression.Zstd => Zstd(tar),
            _ => tar,
        };
        string mediaType = compression switch
        {
            LayerCompression.Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            LayerCompression.Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            _ => "application/vnd.oci.image.layer.v1.tar",
        };
        return new Layer(WriteBlob(blob), blob.Length, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)), mediaType);
    }

    /// <summary>Adds one platform's manifest (and config) made of <paramref name="layers"/>.</summary>
    public string AddImage(IReadOnlyList<Layer> layers, string architecture = "amd64", string? variant = null, string[]? cmd = null, string? tag = null)
    {
        JsonObject config = new()
        {
            ["created"] = "2024-05-06T07:08:09.123456789Z",
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Env"] = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                ["Cmd"] = new JsonArray([.. (cmd ?? ["sh"]).Select(c => (JsonNode)c)]),
                ["WorkingDir"] = "/",
            },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray([.. layers.Select(l => (JsonNode)l.DiffId)]) },
            ["history"] = new JsonArray([.. layers.Select((l, i) => (JsonNode)new JsonObject { ["created"] = "2024-05-06T07:08:09Z", ["created_by"] = $"layer {i}" })]),
        };
        if (variant is not null) config["variant"] = variant;
        byte[] configBytes = JsonSerializer.SerializeToUtf8Bytes(config);
        JsonObject manifest = new()
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", WriteBlob(configBytes), configBytes.Length),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)Descriptor(l.MediaType, l.Digest, l.Size))]),
        };
        byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest);
        string digest = WriteBlob(manifestBytes);
        JsonObject entry = Descriptor("application/vnd.oci.image.manifest.v1+json", digest, manifestBytes.Length);
        JsonObject platform = new() { ["architecture"] = architecture, ["os"] = "linux" };
        if (variant is not null) platform["variant"] = variant;
        entry["platform"] = platform;
        if (tag is not null) entry["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        _manifests.Add(entry);
        return digest;
    }

    /// <summary>index.json: each manifest directly (single-platform tags), or one nested index under <paramref name="indexTag"/>.</summary>
    public void Finish(string? indexTag = null)
    {
        JsonArray entries;
        if (indexTag is null)
        {
            entries = new JsonArray([.. _manifests.Select(m => (JsonNode)m.DeepClone())]);
        }
        else
        {
            JsonObject index = new()
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = "application/vnd.oci.image.index.v1+json",
                ["manifests"] = new JsonArray([.. _manifests.Select(m => { JsonObject copy = (JsonObject)m.DeepClone(); copy.Remove("annotations"); return (JsonNode)copy; })]),
            };
            byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(index);
            JsonObject entry = Descriptor("application/vnd.oci.image.index.v1+json", WriteBlob(bytes), bytes.Length);
            entry["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = indexTag };
            entries = [entry];
        }
        JsonObject top = new() { ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.index.v1+json", ["manifests"] = entries };
        File.WriteAllBytes(Path.Combine(_directory, "index.json"), JsonSerializer.SerializeToUtf8Bytes(top));
    }

    private static JsonObject Descriptor(string mediaType, string digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };

    private string WriteBlob(byte[] content)
    {
        string hex = Convert.ToHexStringLower(SHA256.HashData(content));
        File.WriteAllBytes(Path.Combine(_directory, "blobs", "sha256", hex), content);
        return "sha256:" + hex;
    }

    public static byte[] Gzip(byte[] data)
    {
        using MemoryStream output = new();
        using (GZipStream gzip = new(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>zstd by Debian's zstd program, not by skiff's own binding.</summary>
    public static byte[] Zstd(byte[] data)
    {
        string input = System.IO.Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(input, data);
            Tools.Run("zstd", "-q", "-f", "-3", input, "-o", input + ".zst");
            return File.ReadAllBytes(input + ".zst");
        }
        finally
        {
            File.Delete(input);
            File.Delete(input + ".zst");
        }
    }
}
