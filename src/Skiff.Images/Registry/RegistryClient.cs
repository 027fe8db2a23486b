namespace Skiff.Images.Registry;

/// <summary>
/// A client for one registry host speaking the OCI distribution spec, in the parts containerd's
/// remotes use: one transport (endpoint, auth, redirects, retries) shared by the manifests
/// (resolve, put, tags), the blob fetcher (resumable downloads) and the blob pusher (existence,
/// cross-repository mount, monolithic and chunked uploads).
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly RegistryTransport _transport;

    public string Registry => _transport.Registry;
    public RegistryManifests Manifests { get; }
    public BlobFetcher Blobs { get; }
    public BlobPusher Uploads { get; }

    public RegistryClient(string registry, RegistryOptions options)
    {
        _transport = new RegistryTransport(registry, options);
        Manifests = new RegistryManifests(_transport);
        Blobs = new BlobFetcher(_transport);
        Uploads = new BlobPusher(_transport);
    }

    /// <summary>
    /// GET /v2/: picks https (or, for an insecure registry, http when https fails) and learns the
    /// auth challenge. With <paramref name="requireAuth"/> (login), proves the credential works.
    /// </summary>
    public Task PingAsync(bool requireAuth, CancellationToken cancellationToken) =>
        _transport.PingAsync(requireAuth, cancellationToken);

    public void Dispose() => _transport.Dispose();
}
