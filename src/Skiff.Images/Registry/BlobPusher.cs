using System.Net;
using System.Net.Http.Headers;
using Skiff.Images.IO;
using Skiff.Images.Oci;

namespace Skiff.Images.Registry;

/// <summary>Blob uploads to one registry: existence checks, cross-repository mounts, and uploads
/// in one PUT or in PATCH chunks.</summary>
public sealed class BlobPusher
{
    private readonly RegistryTransport _transport;

    internal BlobPusher(RegistryTransport transport) => _transport = transport;

    private RegistryOptions Options => _transport.Options;

    private string Registry => _transport.Registry;

    public async Task<bool> ExistsAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _transport.SendAsync(() => new HttpRequestMessage(HttpMethod.Head, _transport.Url($"/v2/{repository}/blobs/{digest}")),
            RegistryTransport.PushScope(repository), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await RegistryTransport.EnsureSuccessAsync(response, $"blob {digest}");
        return true;
    }

    /// <summary>Asks the registry to link a blob it already holds in <paramref name="fromRepository"/>.</summary>
    /// <returns>true if mounted; false if the registry declined (the caller uploads).</returns>
    public async Task<bool> MountAsync(string repository, Digest digest, string fromRepository, CancellationToken cancellationToken)
    {
        string scope = $"{RegistryTransport.PushScope(repository)} {RegistryTransport.PullScope(fromRepository)}";
        using HttpResponseMessage response = await _transport.SendAsync(() => new HttpRequestMessage(HttpMethod.Post,
            _transport.Url($"/v2/{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(fromRepository)}")),
            scope, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Created) return true;
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            // The registry opened an upload session instead; it is abandoned, the caller starts its own.
            if (response.Headers.Location is { } location)
            {
                using HttpResponseMessage _ = await _transport.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, _transport.Resolve(location)),
                    RegistryTransport.PushScope(repository), cancellationToken);
            }
            return false;
        }
        await RegistryTransport.EnsureSuccessAsync(response, $"mount blob {digest}");
        return false;
    }

    /// <summary>Uploads a blob: one PUT when small, PATCH chunks then PUT when large. Retries restart the upload.</summary>
    public async Task UploadAsync(string repository, Digest digest, long size, Func<Stream> open,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Uri location = await StartUploadAsync(repository, cancellationToken);
                if (size > Options.UploadChunkSize)
                    location = await UploadChunksAsync(repository, location, size, open, progress, cancellationToken);
                await FinishUploadAsync(repository, location, digest, size <= Options.UploadChunkSize ? open : null, size, progress, cancellationToken);
                return;
            }
            catch (Exception e) when (RegistryTransport.IsTransient(e, cancellationToken) && attempt < Options.MaxAttempts)
            {
                await Task.Delay(_transport.Backoff(attempt), cancellationToken);
            }
            catch (Exception e) when (RegistryTransport.IsTransient(e, cancellationToken))
            {
                throw new ImageException($"push blob {digest}: {RegistryTransport.Describe(e)} (gave up after {attempt} attempts)", e);
            }
        }
    }

    private async Task<Uri> StartUploadAsync(string repository, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _transport.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, _transport.Url($"/v2/{repository}/blobs/uploads/")),
            RegistryTransport.PushScope(repository), cancellationToken);
        await RegistryTransport.EnsureSuccessAsync(response, $"push to {Registry}/{repository}");
        return _transport.Resolve(response.Headers.Location ?? throw new ImageException($"push to {Registry}/{repository}: upload started without a Location"));
    }

    private async Task<Uri> UploadChunksAsync(string repository, Uri location, long size, Func<Stream> open,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        await using Stream source = open();
        byte[] chunk = new byte[(int)Math.Min(Options.UploadChunkSize, int.MaxValue - 64)];
        long sent = 0;
        while (sent < size)
        {
            int length = await source.ReadAtLeastAsync(chunk, (int)Math.Min(chunk.Length, size - sent), throwOnEndOfStream: true, cancellationToken);
            long start = sent;
            Uri target = location;
            using HttpResponseMessage response = await _transport.SendAsync(() =>
            {
                HttpRequestMessage request = new(HttpMethod.Patch, target) { Content = new ByteArrayContent(chunk, 0, length) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                return request;
            }, RegistryTransport.PushScope(repository), cancellationToken, retry: false);
            await RegistryTransport.EnsureSuccessAsync(response, $"push chunk of {Registry}/{repository}");
            sent += length;
            progress?.Invoke(sent);
            location = _transport.Resolve(response.Headers.Location ?? throw new ImageException($"push to {Registry}/{repository}: chunk accepted without a Location"));
        }
        return location;
    }

    private async Task FinishUploadAsync(string repository, Uri location, Digest digest, Func<Stream>? open, long size,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        string separator = location.Query.Length > 0 ? "&" : "?";
        Uri target = new(location + separator + "digest=" + Uri.EscapeDataString(digest.ToString()));
        using HttpResponseMessage response = await _transport.SendAsync(() =>
        {
            HttpRequestMessage request = new(HttpMethod.Put, target);
            request.Content = open is null
                ? new ByteArrayContent([])
                : new StreamContent(new ObservedStream(open(), progress: progress));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.ContentLength = open is null ? 0 : size;
            return request;
        }, RegistryTransport.PushScope(repository), cancellationToken, retry: false);
        await RegistryTransport.EnsureSuccessAsync(response, $"push blob {digest}");
    }
}
