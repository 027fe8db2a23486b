using System.Net;
using System.Net.Http.Headers;
using Skiff.Images.Oci;
using Skiff.Images.Store;

namespace Skiff.Images.Registry;

/// <summary>Blob downloads from one registry into the content store's ingests, resumable and digest-checked.</summary>
public sealed class BlobFetcher
{
    private readonly RegistryTransport _transport;

    internal BlobFetcher(RegistryTransport transport) => _transport = transport;

    private RegistryOptions Options => _transport.Options;

    /// <summary>Downloads a blob into an ingest, resuming from what it already holds and after
    /// dropped connections; the ingest checks the digest when the last byte arrives.</summary>
    public async Task DownloadAsync(string repository, Descriptor descriptor, BlobIngest ingest,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        Digest digest = descriptor.ParsedDigest;
        byte[] buffer = new byte[128 * 1024];
        // Bytes kept from an earlier, interrupted download are trusted only until the digest says otherwise.
        bool resumed = ingest.Offset > 0;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                long offset = ingest.Offset;
                if (offset == descriptor.Size && descriptor.Size > 0)
                {
                    if (CommitOrRestart(ingest, ref resumed)) return;
                    continue;
                }
                using HttpResponseMessage response = await _transport.SendAsync(() =>
                {
                    HttpRequestMessage request = new(HttpMethod.Get, _transport.Url($"/v2/{repository}/blobs/{digest}"));
                    if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
                    return request;
                }, RegistryTransport.PullScope(repository), cancellationToken, HttpCompletionOption.ResponseHeadersRead);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    ingest.Restart();
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.NotFound)
                    throw new ImageNotFoundException($"blob {digest} not found in {_transport.Registry}/{repository}");
                await RegistryTransport.EnsureSuccessAsync(response, $"blob {digest}");
                // 200 means the server sent the whole blob (it ignored or lacks ranges).
                if (response.StatusCode == HttpStatusCode.OK && offset > 0) ingest.Restart();
                else if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From != offset) ingest.Restart();
                progress?.Invoke(ingest.Offset);

                await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
                using CancellationTokenSource stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                while (true)
                {
                    stall.CancelAfter(Options.StallTimeout);
                    int read;
                    try { read = await body.ReadAsync(buffer, stall.Token); }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new IOException($"no data for {Options.StallTimeout.TotalSeconds:0}s");
                    }
                    if (read == 0) break;
                    ingest.Append(buffer.AsSpan(0, read));
                    progress?.Invoke(ingest.Offset);
                }
                if (descriptor.Size >= 0 && ingest.Offset < descriptor.Size)
                    throw new IOException($"connection closed after {ingest.Offset} of {descriptor.Size} bytes");
                if (CommitOrRestart(ingest, ref resumed)) return;
            }
            catch (Exception e) when (RegistryTransport.IsTransient(e, cancellationToken) && attempt < Options.MaxAttempts)
            {
                await Task.Delay(_transport.Backoff(attempt), cancellationToken);
            }
            catch (Exception e) when (RegistryTransport.IsTransient(e, cancellationToken))
            {
                throw new ImageException($"blob {digest}: {e.Message} (gave up after {attempt} attempts)", e);
            }
        }
    }

    /// <summary>Commits; if the digest fails on a download that reused kept bytes, starts over once from zero.</summary>
    private static bool CommitOrRestart(BlobIngest ingest, ref bool resumed)
    {
        try
        {
            ingest.Commit();
            return true;
        }
        catch (ImageException) when (resumed)
        {
            resumed = false;
            ingest.Restart();
            return false;
        }
    }
}
