using System.Diagnostics;
using System.Net;

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
        try { (_process, Port) = LoopbackPort.Start(port => (Serve(port, authSection, tls), port)); }
        catch
        {
            _directory.Dispose();
            throw;
        }
    }

    private Process Serve(int port, string? authSection, (string Certificate, string Key)? tls)
    {
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
              addr: 127.0.0.1:{port}
            {(tls is { } t ? $"  tls:\n    certificate: {t.Certificate}\n    key: {t.Key}\n" : "")}
            {(authSection is null ? "" : "auth:\n" + authSection)}
            """);
        // exec: the shell becomes the registry, so its pid is the one Dispose kills.
        Process process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec /usr/bin/docker-registry serve {config} >{LogPath} 2>&1"]))!;
        try
        {
            WaitUntilServing(process, $"{(tls is null ? "http" : "https")}://127.0.0.1:{port}/v2/");
            return process;
        }
        catch (Exception error)
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit();
            process.Dispose();
            if (error is InvalidOperationException && File.ReadAllText(LogPath).Contains("address already in use"))
                throw new PortTakenException(port, error);
            throw;
        }
    }

    private void WaitUntilServing(Process process, string url)
    {
        using HttpClient client = new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        Stopwatch clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (process.HasExited) throw new InvalidOperationException($"docker-registry exited: {File.ReadAllText(LogPath)}");
            try
            {
                HttpResponseMessage response = client.GetAsync(url).Result;
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (AggregateException) { }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"docker-registry did not start: {File.ReadAllText(LogPath)}");
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
