using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text.Json;
using Skiff.Images.References;

namespace Skiff.Images.Registry;

/// <summary>
/// Requests to one registry host: the endpoint (https, or http for an insecure registry), auth
/// through the WWW-Authenticate challenge, redirects, retries with backoff, and the registry's
/// error bodies turned into messages.
/// </summary>
internal sealed class RegistryTransport : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _insecure;
    private readonly RegistryAuthorizer _authorizer;
    private readonly SemaphoreSlim _endpointLock = new(1, 1);
    private Uri? _base;

    public string Registry { get; }
    public RegistryOptions Options { get; }

    public RegistryTransport(string registry, RegistryOptions options)
    {
        Registry = registry;
        Options = options;
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
        _authorizer = new RegistryAuthorizer(registry, options, _http);
    }

    private string Host => Registry == ImageReference.DockerHub ? "registry-1.docker.io" : Registry;

    public static string PullScope(string repository) => $"repository:{repository}:pull";

    public static string PushScope(string repository) => $"repository:{repository}:pull,push";

    public Uri Url(string path) => new(_base!, path);

    public Uri Resolve(Uri location) => location.IsAbsoluteUri ? location : new Uri(_base!, location);

    /// <summary>Learns the endpoint and challenge; with <paramref name="requireAuth"/>, proves the credential works.</summary>
    public async Task PingAsync(bool requireAuth, CancellationToken cancellationToken)
    {
        await EnsureEndpointAsync(cancellationToken);
        if (!requireAuth || _authorizer.Challenge is null) return;
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url("/v2/")), "", cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            throw new ImageException($"login {Registry}: unauthorized: incorrect username or password");
        await EnsureSuccessAsync(response, $"login {Registry}");
    }

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
                    _authorizer.Challenge = AuthChallenge.Parse(response.Headers.WwwAuthenticate.ToString());
                else if (IsTransientStatus(response.StatusCode) && attempt < Options.MaxAttempts)
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
            catch (HttpRequestException e) when (e.InnerException is not AuthenticationException && IsRetryableConnect(e) && attempt < Options.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }
    }

    /// <summary>A request with auth, redirects and retries. The factory builds a fresh request per try.</summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> factory, string scope, CancellationToken cancellationToken,
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
                if (await _authorizer.AuthorizationAsync(scope, cancellationToken) is { } authorization)
                    request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
                response = await SendFollowingRedirectsAsync(request, completion, cancellationToken);
            }
            catch (Exception e) when (retry && IsTransient(e, cancellationToken) && attempt < Options.MaxAttempts)
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
                reauthorized = true;
                scope = _authorizer.Rechallenge(challenge, scope);
                response.Dispose();
                attempt--;
                continue;
            }
            if (retry && IsTransientStatus(response.StatusCode) && attempt < Options.MaxAttempts)
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

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
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

    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(Options.FirstRetryDelay.TotalMilliseconds * (1 << (attempt - 1)), 8000));

    public static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
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

    public static string Describe(Exception e)
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
