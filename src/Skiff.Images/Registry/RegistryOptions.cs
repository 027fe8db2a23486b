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
