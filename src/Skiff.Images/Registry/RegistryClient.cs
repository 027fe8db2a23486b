using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using Skiff.Images.IO;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Store;

namespace Skiff.Images.Registry;

/// <summary>How to reach registries: settings, logins, TLS and retry behaviour.</summary>
public sealed class RegistryOptions
{
    public RegistryConfig Config { get; init; } = new();
    public AuthFile? AuthFile { get; init; }
    /// <summary>Overrides the auth file for this client (login checks the new credential).</summary>
    public Credential? Credential { get; init; }
    /// <summary>false: accept any certificate and fall back to plain HTTP (podman's --tls-verify=false).</summary>
    public bool? TlsVerify { get; init; }
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>A blob download that receives nothing for this long is cut and resumed.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Blobs larger than this are pushed in PATCH chunks of this size; smaller in one PUT.</summary>
    public long UploadChunkSize { get; init; } = 32L * 1024 * 1024;
}

/// <summary>A manifest as the registry served it: exact bytes, media type and digest.</summary>
public sealed record FetchedManifest(byte[] Content, string MediaType, Digest Digest);

/// <summary>
/// A client for one registry host speaking the OCI distribution spec: manifest negotiation,
/// anonymous/basic/bearer auth through the WWW-Authenticate challenge, redirects, retries with
/// backoff, resumable blob downloads, monolithic and chunked uploads with cross-repository mount.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private const long MaxManifestBytes = 4 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly RegistryOptions _options;
    private readonly bool _insecure;
    private readonly ConcurrentDictionary<string, string> _authorizations = new();
    private readonly SemaphoreSlim _endpointLock = new(1, 1);
    private Uri? _base;
    private AuthChallenge? _challenge;

    public string Registry { get; }

    public RegistryClient(string registry, RegistryOptions options)
    {
        Registry = registry;
        _options = options;
        _credential = ReadCredential();
        _insecure = options.TlsVerify == false || (options.TlsVerify is null && options.Config.IsInsecure(registry));
        SocketsHttpHandler handler = new()
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 16,
        };
        if (_insecure) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("skiff/0.1");
    }

    private Lazy<Credential?> ReadCredential() => new(() => _options.Credential ?? _options.AuthFile?.Get(Registry));

    private string Host => Registry == ImageReference.DockerHub ? "registry-1.docker.io" : Registry;

    private Credential? Credential => _credential.Value;

    /// <summary>Read once per client (every request of a pull would otherwise reread the auth file),
    /// and again when the registry turns a request down, in case a login happened meanwhile.</summary>
    private Lazy<Credential?> _credential;

    /// <summary>
    /// GET /v2/: picks https (or, for an insecure registry, http when https fails) and learns the
    /// auth challenge. With <paramref name="requireAuth"/> (login), proves the credential works.
    /// </summary>
    public async Task PingAsync(bool requireAuth, CancellationToken cancellationToken)
    {
        await EnsureEndpointAsync(cancellationToken);
        if (!requireAuth || _challenge is null) return;
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url("/v2/")), "", cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            throw new ImageException($"login {Registry}: unauthorized: incorrect username or password");
        await EnsureSuccessAsync(response, $"login {Registry}");
    }

    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(() =>
        {
            HttpRequestMessage request = new(HttpMethod.Get, Url($"/v2/{repository}/manifests/{reference}"));
            foreach (string type in MediaTypes.ManifestAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return request;
        }, PullScope(repository), cancellationToken);
        string what = $"{Registry}/{repository}:{reference}";
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new ImageNotFoundException($"manifest for {what} not found: manifest unknown");
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new ImageException($"pull access denied for {Registry}/{repository}, repository does not exist or may require 'skiff login'");
        await EnsureSuccessAsync(response, what);
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
            throw new ImageException($"{what}: manifest larger than {MaxManifestBytes} bytes");
        byte[] content = await ReadLimitedAsync(response.Content, MaxManifestBytes, cancellationToken);
        string mediaType = ManifestKind.Resolve(response.Content.Headers.ContentType?.MediaType, content, what);
        Digest digest = Digest.TryParse(reference, out Digest pinned) ? pinned : Digest.Sha256(content);
        if (!digest.Matches(content))
            throw new ImageException($"{what}: manifest digest mismatch: content is {Digest.Sha256(content)}");
        return new FetchedManifest(content, mediaType, digest);
    }

    /// <summary>Downloads a blob into an ingest, resuming from what it already holds and after
    /// dropped connections; the ingest checks the digest when the last byte arrives.</summary>
    public async Task DownloadBlobAsync(string repository, Descriptor descriptor, BlobIngest ingest,
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
                using HttpResponseMessage response = await SendAsync(() =>
                {
                    HttpRequestMessage request = new(HttpMethod.Get, Url($"/v2/{repository}/blobs/{digest}"));
                    if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
                    return request;
                }, PullScope(repository), cancellationToken, HttpCompletionOption.ResponseHeadersRead);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    ingest.Restart();
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.NotFound)
                    throw new ImageNotFoundException($"blob {digest} not found in {Registry}/{repository}");
                await EnsureSuccessAsync(response, $"blob {digest}");
                // 200 means the server sent the whole blob (it ignored or lacks ranges).
                if (response.StatusCode == HttpStatusCode.OK && offset > 0) ingest.Restart();
                else if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From != offset) ingest.Restart();
                progress?.Invoke(ingest.Offset);

                await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
                using CancellationTokenSource stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                while (true)
                {
                    stall.CancelAfter(_options.StallTimeout);
                    int read;
                    try { read = await body.ReadAsync(buffer, stall.Token); }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new IOException($"no data for {_options.StallTimeout.TotalSeconds:0}s");
                    }
                    if (read == 0) break;
                    ingest.Append(buffer.AsSpan(0, read));
                    progress?.Invoke(ingest.Offset);
                }
                if (descriptor.Size >= 0 && ingest.Offset < descriptor.Size)
                    throw new IOException($"connection closed after {ingest.Offset} of {descriptor.Size} bytes");
                if (CommitOrRestart(ingest, ref resumed)) return;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken) && attempt < _options.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
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

    public async Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, Url($"/v2/{repository}/blobs/{digest}")),
            PushScope(repository), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, $"blob {digest}");
        return true;
    }

    /// <summary>Asks the registry to link a blob it already holds in <paramref name="fromRepository"/>.</summary>
    /// <returns>true if mounted; false if the registry declined (the caller uploads).</returns>
    public async Task<bool> MountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken cancellationToken)
    {
        string scope = $"{PushScope(repository)} {PullScope(fromRepository)}";
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post,
            Url($"/v2/{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(fromRepository)}")),
            scope, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Created) return true;
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            // The registry opened an upload session instead; it is abandoned, the caller starts its own.
            if (response.Headers.Location is { } location)
            {
                using HttpResponseMessage _ = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, Resolve(location)), PushScope(repository), cancellationToken);
            }
            return false;
        }
        await EnsureSuccessAsync(response, $"mount blob {digest}");
        return false;
    }

    /// <summary>Uploads a blob: one PUT when small, PATCH chunks then PUT when large. Retries restart the upload.</summary>
    public async Task UploadBlobAsync(string repository, Digest digest, long size, Func<Stream> open,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Uri location = await StartUploadAsync(repository, cancellationToken);
                if (size > _options.UploadChunkSize)
                    location = await UploadChunksAsync(repository, location, size, open, progress, cancellationToken);
                await FinishUploadAsync(repository, location, digest, size <= _options.UploadChunkSize ? open : null, size, progress, cancellationToken);
                return;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken) && attempt < _options.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                throw new ImageException($"push blob {digest}: {Describe(e)} (gave up after {attempt} attempts)", e);
            }
        }
    }

    private async Task<Uri> StartUploadAsync(string repository, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Url($"/v2/{repository}/blobs/uploads/")),
            PushScope(repository), cancellationToken);
        await EnsureSuccessAsync(response, $"push to {Registry}/{repository}");
        return Resolve(response.Headers.Location ?? throw new ImageException($"push to {Registry}/{repository}: upload started without a Location"));
    }

    private async Task<Uri> UploadChunksAsync(string repository, Uri location, long size, Func<Stream> open,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        await using Stream source = open();
        byte[] chunk = new byte[(int)Math.Min(_options.UploadChunkSize, int.MaxValue - 64)];
        long sent = 0;
        while (sent < size)
        {
            int length = await source.ReadAtLeastAsync(chunk, (int)Math.Min(chunk.Length, size - sent), throwOnEndOfStream: true, cancellationToken);
            long start = sent;
            Uri target = location;
            using HttpResponseMessage response = await SendAsync(() =>
            {
                HttpRequestMessage request = new(HttpMethod.Patch, target) { Content = new ByteArrayContent(chunk, 0, length) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                return request;
            }, PushScope(repository), cancellationToken, retry: false);
            await EnsureSuccessAsync(response, $"push chunk of {Registry}/{repository}");
            sent += length;
            progress?.Invoke(sent);
            location = Resolve(response.Headers.Location ?? throw new ImageException($"push to {Registry}/{repository}: chunk accepted without a Location"));
        }
        return location;
    }

    private async Task FinishUploadAsync(string repository, Uri location, Digest digest, Func<Stream>? open, long size,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        string separator = location.Query.Length > 0 ? "&" : "?";
        Uri target = new(location + separator + "digest=" + Uri.EscapeDataString(digest.ToString()));
        using HttpResponseMessage response = await SendAsync(() =>
        {
            HttpRequestMessage request = new(HttpMethod.Put, target);
            request.Content = open is null
                ? new ByteArrayContent([])
                : new StreamContent(new ObservedStream(open(), progress: progress));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.ContentLength = open is null ? 0 : size;
            return request;
        }, PushScope(repository), cancellationToken, retry: false);
        await EnsureSuccessAsync(response, $"push blob {digest}");
    }

    public async Task<Digest> PutManifestAsync(string repository, string reference, byte[] content, string mediaType, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(() =>
        {
            HttpRequestMessage request = new(HttpMethod.Put, Url($"/v2/{repository}/manifests/{reference}")) { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return request;
        }, PushScope(repository), cancellationToken);
        await EnsureSuccessAsync(response, $"push manifest {Registry}/{repository}:{reference}");
        return Digest.Sha256(content);
    }

    public async Task<List<string>> ListTagsAsync(string repository, CancellationToken cancellationToken)
    {
        List<string> tags = [];
        string? next = $"/v2/{repository}/tags/list";
        while (next is not null)
        {
            string path = next;
            using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path.StartsWith("http", StringComparison.Ordinal) ? new Uri(path) : Url(path)),
                PullScope(repository), cancellationToken);
            await EnsureSuccessAsync(response, $"tags of {Registry}/{repository}");
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

    private static string PullScope(string repository) => $"repository:{repository}:pull";

    private static string PushScope(string repository) => $"repository:{repository}:pull,push";

    private Uri Url(string path) => new(_base!, path);

    private Uri Resolve(Uri location) => location.IsAbsoluteUri ? location : new Uri(_base!, location);

    private async Task EnsureEndpointAsync(CancellationToken cancellationToken)
    {
        if (_base is not null) return;
        await _endpointLock.WaitAsync(cancellationToken);
        try
        {
            if (_base is not null) return;
            Exception? httpsFailure;
            try
            {
                await PingAtAsync(new Uri($"https://{Host}/"), cancellationToken);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or AuthenticationException)
            {
                httpsFailure = e;
            }
            if (!_insecure)
                throw new ImageException($"registry {Registry}: {Describe(httpsFailure)} (for a registry without valid TLS, use --tls-verify=false or list it in insecure-registries)", httpsFailure);
            try
            {
                await PingAtAsync(new Uri($"http://{Host}/"), cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                throw new ImageException($"registry {Registry}: {Describe(e)}", e);
            }
        }
        finally
        {
            _endpointLock.Release();
        }
    }

    private async Task PingAtAsync(Uri baseUri, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using HttpResponseMessage response = await _http.GetAsync(new Uri(baseUri, "/v2/"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                    _challenge = AuthChallenge.Parse(response.Headers.WwwAuthenticate.ToString());
                else if (IsTransientStatus(response.StatusCode) && attempt < _options.MaxAttempts)
                {
                    await Task.Delay(Backoff(attempt), cancellationToken);
                    continue;
                }
                else if (response.StatusCode == HttpStatusCode.BadRequest && baseUri.Scheme == "https")
                    throw new HttpRequestException("server does not speak TLS");
                else if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
                    throw new HttpRequestException($"GET /v2/ answered {(int)response.StatusCode}");
                _base = baseUri;
                return;
            }
            catch (HttpRequestException e) when (e.InnerException is not AuthenticationException && IsRetryableConnect(e) && attempt < _options.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }
    }

    /// <summary>A request with auth, redirects and retries. The factory builds a fresh request per try.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> factory, string scope, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, bool retry = true)
    {
        await EnsureEndpointAsync(cancellationToken);
        bool reauthorized = false;
        for (int attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                HttpRequestMessage request = factory();
                if (await AuthorizationAsync(scope, cancellationToken) is { } authorization)
                    request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
                response = await SendFollowingRedirectsAsync(request, completion, cancellationToken);
            }
            catch (Exception e) when (retry && IsTransient(e, cancellationToken) && attempt < _options.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
                continue;
            }
            catch (Exception e) when (retry && IsTransient(e, cancellationToken))
            {
                throw new ImageException($"registry {Registry}: {Describe(e)}", e);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && !reauthorized
                && AuthChallenge.Parse(response.Headers.WwwAuthenticate.ToString()) is { } challenge)
            {
                // A challenge after we authorized: a wider scope is needed, or the token expired.
                reauthorized = true;
                _challenge = challenge;
                _credential = ReadCredential();
                _authorizations.TryRemove(scope, out _);
                if (challenge.Scope is { Length: > 0 } wanted && !scope.Contains(wanted, StringComparison.Ordinal))
                    scope = scope.Length == 0 ? wanted : $"{scope} {wanted}";
                response.Dispose();
                attempt--;
                continue;
            }
            if (retry && IsTransientStatus(response.StatusCode) && attempt < _options.MaxAttempts)
            {
                TimeSpan delay = response.Headers.RetryAfter?.Delta is { } after && after < TimeSpan.FromSeconds(30) ? after : Backoff(attempt);
                response.Dispose();
                await Task.Delay(delay, cancellationToken);
                continue;
            }
            return response;
        }
    }

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        for (int hops = 0; ; hops++)
        {
            HttpResponseMessage response = await _http.SendAsync(request, completion, cancellationToken);
            if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is null) return response;
            if (hops == 10) throw new ImageException($"registry {Registry}: too many redirects");
            Uri target = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location : new Uri(request.RequestUri!, response.Headers.Location);
            response.Dispose();
            // Blob storage behind a redirect gets no registry credentials, but keeps the byte range.
            HttpRequestMessage next = new(request.Method == HttpMethod.Head ? HttpMethod.Head : HttpMethod.Get, target);
            next.Headers.Range = request.Headers.Range;
            if (target.Authority == request.RequestUri!.Authority) next.Headers.Authorization = request.Headers.Authorization;
            request.Dispose();
            request = next;
        }
    }

    /// <summary>The Authorization value for a scope, fetching a bearer token when challenged for one.</summary>
    private async Task<string?> AuthorizationAsync(string scope, CancellationToken cancellationToken)
    {
        if (_challenge is null) return null;
        if (_challenge.IsBasic) return Credential is { } basic ? "Basic " + basic.BasicHeaderValue : null;
        if (!_challenge.IsBearer) return null;
        if (_authorizations.TryGetValue(scope, out string? cached)) return cached;

        string realm = _challenge.Realm ?? throw new ImageException($"registry {Registry}: bearer challenge without a realm");
        StringBuilder query = new();
        if (_challenge.Service is { } service) query.Append("service=").Append(Uri.EscapeDataString(service));
        foreach (string one in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(one));
        UriBuilder builder = new(realm) { Query = query.ToString() };
        using HttpRequestMessage request = new(HttpMethod.Get, builder.Uri);
        if (Credential is { } credential) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue);
        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new ImageException($"registry {Registry}: unauthorized: authentication required (token server {builder.Host} refused {(Credential is null ? "anonymous access" : "the credentials")})");
        await EnsureSuccessAsync(response, $"token from {realm}");
        TokenResponse? token = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(cancellationToken), RegistryJsonContext.Default.TokenResponse);
        string value = token?.Token ?? token?.AccessToken ?? throw new ImageException($"registry {Registry}: token server answered without a token");
        string authorization = "Bearer " + value;
        _authorizations[scope] = authorization;
        return authorization;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        string detail = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            if (body.Length > 0 && JsonSerializer.Deserialize(body, RegistryJsonContext.Default.ErrorResponse)?.Errors is { Count: > 0 } errors)
                detail = string.Join("; ", errors.Select(e => $"{e.Code?.ToLowerInvariant().Replace('_', ' ')}: {e.Message}"));
        }
        catch (JsonException) { }
        throw response.StatusCode == HttpStatusCode.NotFound ? new ImageNotFoundException($"{what}: {detail}") : new ImageException($"{what}: {detail}");
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

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.FirstRetryDelay.TotalMilliseconds * (1 << (attempt - 1)), 8000));

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException http => http.InnerException is not AuthenticationException,
        IOException => true,
        _ => false,
    };

    private static bool IsRetryableConnect(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded or HttpRequestError.NameResolutionError
        && e.InnerException is not System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused };

    private static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private static string Describe(Exception e)
    {
        Exception inner = e;
        while (inner.InnerException is not null && inner is HttpRequestException) inner = inner.InnerException;
        return inner.Message.TrimEnd('.');
    }

    public void Dispose()
    {
        _http.Dispose();
        _endpointLock.Dispose();
    }
}
