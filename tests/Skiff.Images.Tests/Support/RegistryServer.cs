using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Skiff.Images.Tests.Support;

/// <summary>
/// Debian's docker-registry (the distribution registry) on 127.0.0.1 with a free port, private
/// storage and config; stopped and removed on Dispose.
/// </summary>
public sealed class RegistryServer : IDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _directory = new("skiff-registry");

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";
    public string StoragePath => _directory.Combine("data");
    public string LogPath => _directory.Combine("registry.log");

    /// <param name="authSection">YAML for the config's "auth:" section (indented two spaces), or null.</param>
    /// <param name="tls">a (certificate, key) pair of PEM paths to serve HTTPS, or null.</param>
    public RegistryServer(string? authSection = null, (string Certificate, string Key)? tls = null)
    {
        Port = FreePort();
        string config = _directory.Combine("config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {StoragePath}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{Port}
            {(tls is { } t ? $"  tls:\n    certificate: {t.Certificate}\n    key: {t.Key}\n" : "")}
            {(authSection is null ? "" : "auth:\n" + authSection)}
            """);
        // exec: the shell becomes the registry, so its pid is the one Dispose kills.
        _process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec /usr/bin/docker-registry serve {config} >{LogPath} 2>&1"]))!;
        WaitUntilServing(tls is not null);
    }

    private void WaitUntilServing(bool https)
    {
        using HttpClient client = new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        Stopwatch clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process.HasExited) throw new InvalidOperationException($"docker-registry exited: {File.ReadAllText(LogPath)}");
            try
            {
                HttpResponseMessage response = client.GetAsync($"{(https ? "https" : "http")}://{Address}/v2/").Result;
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (AggregateException) { }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"docker-registry did not start: {File.ReadAllText(LogPath)}");
    }

    public static int FreePort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        finally
        {
            _process.Dispose();
            _directory.Dispose();
        }
    }
}
