using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Skiff.Images.Oci;

namespace Skiff.Images.Registry;

/// <summary>A manifest as the registry served it: exact bytes, media type and digest.</summary>
public sealed record FetchedManifest(byte[] Content, string MediaType, Digest Digest);

/// <summary>Manifests and tags of one registry: resolve a tag or digest to its manifest, put one, list tags.</summary>
public sealed class RegistryManifests
{
    private const long MaxManifestBytes = 4 * 1024 * 1024;

    private readonly RegistryTransport _transport;

    internal RegistryManifests(RegistryTransport transport) => _transport = transport;

    private string Registry => _transport.Registry;

    public async Task<FetchedManifest> GetAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _transport.SendAsync(() =>
        {
            HttpRequestMessage request = new(HttpMethod.Get, _transport.Url($"/v2/{repository}/manifests/{reference}"));
            foreach (string type in MediaTypes.ManifestAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return request;
        }, RegistryTransport.PullScope(repository), cancellationToken);
        string what = $"{Registry}/{repository}:{reference}";
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new ImageNotFoundException($"manifest for {what} not found: manifest unknown");
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new ImageException($"pull access denied for {Registry}/{repository}, repository does not exist or may require 'skiff login'");
        await RegistryTransport.EnsureSuccessAsync(response, what);
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
            throw new ImageException($"{what}: manifest larger than {MaxManifestBytes} bytes");
        byte[] content = await ReadLimitedAsync(response.Content, MaxManifestBytes, cancellationToken);
        string mediaType = ManifestKind.Resolve(response.Content.Headers.ContentType?.MediaType, content, what);
        Digest digest = Digest.TryParse(reference, out Digest pinned) ? pinned : Digest.Sha256(content);
        if (!digest.Matches(content))
            throw new ImageException($"{what}: manifest digest mismatch: content is {Digest.Sha256(content)}");
        return new FetchedManifest(content, mediaType, digest);
    }

    public async Task<Digest> PutAsync(string repository, string reference, byte[] content, string mediaType, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _transport.SendAsync(() =>
        {
            HttpRequestMessage request = new(HttpMethod.Put, _transport.Url($"/v2/{repository}/manifests/{reference}")) { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return request;
        }, RegistryTransport.PushScope(repository), cancellationToken);
        await RegistryTransport.EnsureSuccessAsync(response, $"push manifest {Registry}/{repository}:{reference}");
        return Digest.Sha256(content);
    }

    public async Task<List<string>> ListTagsAsync(string repository, CancellationToken cancellationToken)
    {
        List<string> tags = [];
        string? next = $"/v2/{repository}/tags/list";
        while (next is not null)
        {
            string path = next;
            using HttpResponseMessage response = await _transport.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path.StartsWith("http", StringComparison.Ordinal) ? new Uri(path) : _transport.Url(path)),
                RegistryTransport.PullScope(repository), cancellationToken);
            await RegistryTransport.EnsureSuccessAsync(response, $"tags of {Registry}/{repository}");
            TagList? list = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(cancellationToken), RegistryJsonContext.Default.TagList);
            tags.AddRange(list?.Tags ?? []);
            next = NextLink(response);
        }
        return tags;
    }

    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out IEnumerable<string>? values)) return null;
        foreach (string value in values)
        {
            int open = value.IndexOf('<'), close = value.IndexOf('>');
            if (open >= 0 && close > open && value.Contains("rel=\"next\"", StringComparison.Ordinal)) return value[(open + 1)..close];
        }
        return null;
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpContent content, long limit, CancellationToken cancellationToken)
    {
        await using Stream stream = await content.ReadAsStreamAsync(cancellationToken);
        using MemoryStream memory = new();
        byte[] buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            memory.Write(buffer, 0, read);
            if (memory.Length > limit) throw new ImageException($"manifest larger than {limit} bytes");
        }
        return memory.ToArray();
    }
}
