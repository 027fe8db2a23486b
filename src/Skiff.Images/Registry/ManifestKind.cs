using System.Text.Json;
using Skiff.Images.Oci;

namespace Skiff.Images.Registry;

/// <summary>Decides what a manifest document is, from the Content-Type or, failing that, its body.</summary>
public static class ManifestKind
{
    public static string Resolve(string? contentType, byte[] content, string what)
    {
        ManifestProbe probe;
        try
        {
            probe = JsonSerializer.Deserialize(content, ImageJsonContext.Relaxed.ManifestProbe) ?? new ManifestProbe();
        }
        catch (JsonException e)
        {
            throw new ImageException($"{what}: manifest is not valid JSON: {e.Message}", e);
        }
        string? mediaType = contentType is MediaTypes.OciIndex or MediaTypes.OciManifest or MediaTypes.DockerManifest
            or MediaTypes.DockerManifestList or MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed
            ? contentType : probe.MediaType;
        if (MediaTypes.IsSchema1(mediaType) || probe.SchemaVersion == 1)
            throw new ImageException($"{what}: Docker schema 1 manifests are not supported (push the image again with a current Docker, podman or skopeo)");
        if (mediaType is null)
            mediaType = probe.Manifests is not null ? MediaTypes.OciIndex
                : probe.Config?.MediaType == MediaTypes.DockerConfig ? MediaTypes.DockerManifest
                : MediaTypes.OciManifest;
        if (!MediaTypes.IsIndex(mediaType) && !MediaTypes.IsManifest(mediaType))
            throw new ImageException($"{what}: unsupported manifest media type {mediaType}");
        if (probe.MediaType is { } declared && declared != mediaType)
            throw new ImageException($"{what}: manifest says it is {declared} but was served as {mediaType}");
        return mediaType;
    }
}
