using System.Net;

namespace Skiff.Images.Tests.Support;

/// <summary>
/// An HTTP proxy in front of a registry that misbehaves on blob downloads as told: cuts the
/// connection part way, corrupts bytes, or trickles them slowly. It records the Range headers it
/// saw, to show that a client resumed rather than restarted.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly HttpListener _listener;
    private readonly HttpClient _upstream = new(new HttpClientHandler { AllowAutoRedirect = false });
    private readonly string _target;
    private readonly Task _loop;
    private int _drops;

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>How many blob responses to cut short (after half their bytes).</summary>
    public int DropsLeft { get => _drops; set => _drops = value; }

    /// <summary>Flip a byte in the middle of every blob response.</summary>
    public bool Corrupt { get; set; }

    /// <summary>Blob bytes per second; 0 for no limit.</summary>
    public int BytesPerSecond { get; set; }

    /// <summary>Answer blob GETs with a 307 to "localhost" (another authority), as registries on object storage do.</summary>
    public bool RedirectBlobs { get; set; }

    /// <summary>Authorization headers that reached the redirect target (there must be none).</summary>
    public List<string> AuthorizationAtStorage { get; } = [];

    /// <summary>What the storage side adds itself when it forwards (a presigned URL's authority, in effect).</summary>
    public string? StorageAuthorization { get; set; }

    /// <summary>How many manifest requests to answer with 503 Service Unavailable first.</summary>
    public int ManifestFailuresLeft;

    public List<string> RangesSeen { get; } = [];
    public int BlobRequests;

    public FaultProxy(string target)
    {
        _target = target;
        (_listener, Port) = LoopbackPort.Listen("127.0.0.1", "localhost");
        _loop = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        bool aborted = false;
        try
        {
            HttpListenerRequest request = context.Request;
            string path = request.Url!.PathAndQuery;
            if (path.StartsWith("/storage/", StringComparison.Ordinal))
            {
                lock (AuthorizationAtStorage) if (request.Headers["Authorization"] is { } authorization) AuthorizationAtStorage.Add(authorization);
                path = path["/storage".Length..];
            }
            else if (path.Contains("/manifests/", StringComparison.Ordinal) && Interlocked.Decrement(ref ManifestFailuresLeft) >= 0)
            {
                context.Response.StatusCode = 503;
                return;
            }
            else if (RedirectBlobs && request.HttpMethod == "GET" && path.Contains("/blobs/sha256:", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 307;
                context.Response.Headers["Location"] = $"http://localhost:{Port}/storage{path}";
                return;
            }
            using HttpRequestMessage forward = new(new HttpMethod(request.HttpMethod), $"http://{_target}{path}");
            foreach (string? key in request.Headers.AllKeys)
            {
                if (key is null or "Host" or "Content-Length" or "Content-Type" or "Connection") continue;
                forward.Headers.TryAddWithoutValidation(key, request.Headers.GetValues(key)!);
            }
            if (request.Url.AbsolutePath.StartsWith("/storage/", StringComparison.Ordinal) && StorageAuthorization is { } storageAuthorization)
                forward.Headers.TryAddWithoutValidation("Authorization", storageAuthorization);
            if (request.HasEntityBody)
            {
                MemoryStream body = new();
                await request.InputStream.CopyToAsync(body);
                body.Position = 0;
                forward.Content = new StreamContent(body);
                if (request.ContentType is { } type) forward.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
            using HttpResponseMessage response = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead);
            HttpListenerResponse output = context.Response;
            output.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (header.Key is "Transfer-Encoding" or "Content-Length" or "Connection" or "Keep-Alive") continue;
                output.Headers[header.Key] = string.Join(",", header.Value);
            }
            byte[] content = await response.Content.ReadAsByteArrayAsync();
            output.ContentLength64 = content.Length;

            bool blob = request.HttpMethod == "GET" && request.Url.AbsolutePath.Contains("/blobs/sha256:", StringComparison.Ordinal) && content.Length > 1024;
            if (!blob)
            {
                await output.OutputStream.WriteAsync(content);
                return;
            }
            Interlocked.Increment(ref BlobRequests);
            lock (RangesSeen) RangesSeen.Add(request.Headers["Range"] ?? "");
            if (Corrupt) content[content.Length / 2] ^= 0x55;
            int limit = Interlocked.Decrement(ref _drops) >= 0 ? content.Length / 2 : content.Length;
            int sent = 0;
            while (sent < limit)
            {
                int chunk = Math.Min(limit - sent, BytesPerSecond > 0 ? Math.Max(1, BytesPerSecond / 20) : 64 * 1024);
                await output.OutputStream.WriteAsync(content.AsMemory(sent, chunk));
                await output.OutputStream.FlushAsync();
                sent += chunk;
                if (BytesPerSecond > 0) await Task.Delay(50);
            }
            if (limit < content.Length)
            {
                aborted = true;
                output.Abort();
            }
        }
        catch (Exception)
        {
            aborted = true;
            try { context.Response.Abort(); } catch (ObjectDisposedException) { }
        }
        finally
        {
            if (!aborted) try { context.Response.Close(); } catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _upstream.Dispose();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
