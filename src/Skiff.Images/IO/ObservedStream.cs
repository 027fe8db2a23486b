using System.Security.Cryptography;
using Skiff.Images.Oci;

namespace Skiff.Images.IO;

/// <summary>
/// A read-only pass-through that counts and optionally hashes what flows through it, reporting
/// progress: digests are checked as bytes stream, never by buffering a whole layer.
/// </summary>
public sealed class ObservedStream(Stream inner, string? hashAlgorithm = null, Action<long>? progress = null, bool leaveOpen = false) : ReadOnlyStream
{
    private readonly IncrementalHash? _hash = hashAlgorithm switch
    {
        null => null,
        "sha512" => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
    };

    public long BytesRead { get; private set; }

    public Digest Digest => Digest.FromHash(hashAlgorithm ?? "sha256", _hash!.GetCurrentHash());

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        Observe(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken);
        Observe(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Observe(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        _hash?.AppendData(data);
        BytesRead += data.Length;
        progress?.Invoke(BytesRead);
    }

    /// <summary>Reads to the end (tar readers stop at the end-of-archive blocks; digests cover everything).</summary>
    public void Drain()
    {
        byte[] buffer = new byte[64 * 1024];
        while (Read(buffer) > 0) { }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash?.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
