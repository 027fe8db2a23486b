using System.Security.Cryptography;
using Skiff.Images.Fs;
using Skiff.Images.IO;
using Skiff.Images.Oci;

namespace Skiff.Images.Store;

/// <summary>
/// Blobs by digest. Every write lands in a private file first, is checked against its digest and
/// size, and only then renamed to blobs/ALG/HEX: a reader never sees half a blob.
/// </summary>
public sealed class ContentStore(StoreLayout layout)
{
    public StoreLayout Layout => layout;

    public bool Exists(Digest digest) => File.Exists(layout.Blob(digest));

    public string PathOf(Digest digest) => layout.Blob(digest);

    public long SizeOf(Digest digest) => new FileInfo(layout.Blob(digest)).Length;

    public Stream OpenRead(Digest digest)
    {
        try
        {
            return new FileStream(layout.Blob(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw new ImageNotFoundException($"blob {digest}: not in the store");
        }
    }

    public byte[] ReadAll(Digest digest)
    {
        try { return File.ReadAllBytes(layout.Blob(digest)); }
        catch (FileNotFoundException) { throw new ImageNotFoundException($"blob {digest}: not in the store"); }
    }

    /// <summary>Stores small content held in memory (manifests, configs); returns its sha256 digest.</summary>
    public Digest Write(ReadOnlySpan<byte> content)
    {
        Digest digest = Digest.Sha256(content);
        if (Exists(digest)) return digest;
        string temporary = NewTemporaryPath();
        try
        {
            using (FileStream file = new(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }
            Adopt(temporary, digest);
        }
        finally
        {
            File.Delete(temporary);
        }
        return digest;
    }

    /// <summary>Stores content read from a stream, checked against <paramref name="expected"/> when given.</summary>
    public Digest Write(Stream source, Digest? expected = null, long? expectedSize = null, Action<long>? progress = null)
    {
        string temporary = NewTemporaryPath();
        try
        {
            Digest digest;
            using (FileStream file = new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            using (ObservedStream observed = new(source, expected?.Algorithm ?? "sha256", progress, leaveOpen: true))
            {
                observed.CopyTo(file, 256 * 1024);
                file.Flush(flushToDisk: true);
                digest = observed.Digest;
                if (expected is { } e && e != digest)
                    throw new ImageException($"blob {e}: digest mismatch: content is {digest}");
                if (expectedSize is { } size && size != observed.BytesRead)
                    throw new ImageException($"blob {digest}: size mismatch: expected {size} bytes, got {observed.BytesRead}");
            }
            Adopt(temporary, digest);
            return digest;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Starts (or resumes) a download of <paramref name="digest"/>. Holding the returned ingest
    /// holds the blob's lock, so two pulls of one layer download it once.
    /// </summary>
    public BlobIngest BeginIngest(Digest digest, long expectedSize)
    {
        FileLock fileLock = FileLock.Exclusive(layout.BlobLock(digest));
        try
        {
            return new BlobIngest(this, digest, expectedSize, fileLock);
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>A private path in the store's filesystem for content being made (rename-able into blobs/).</summary>
    public string NewTemporaryPath() => Path.Combine(layout.Ingest, $"tmp-{Guid.NewGuid():N}");

    /// <summary>Moves a finished file whose digest the caller computed while writing it into blobs/.</summary>
    public void Adopt(string path, Digest digest)
    {
        if (!Exists(digest)) File.Move(path, layout.Blob(digest), overwrite: true);
        else File.Delete(path);
    }

    /// <summary>Every blob digest in the store.</summary>
    public IEnumerable<Digest> List()
    {
        foreach (string algorithmDirectory in Directory.EnumerateDirectories(layout.Blobs))
        {
            string algorithm = Path.GetFileName(algorithmDirectory);
            foreach (string file in Directory.EnumerateFiles(algorithmDirectory))
                if (Digest.TryParse($"{algorithm}:{Path.GetFileName(file)}", out Digest digest))
                    yield return digest;
        }
    }

    public void Delete(Digest digest) => File.Delete(layout.Blob(digest));
}

/// <summary>
/// A blob being downloaded: bytes append to ingest/ALG-HEX (kept if the process dies, so the next
/// pull resumes from its length), the digest is computed on the way, and Commit moves it into
/// blobs/ only when digest and size match.
/// </summary>
public sealed class BlobIngest : IDisposable
{
    private readonly ContentStore _store;
    private readonly FileLock _lock;
    private readonly string _partial;
    private IncrementalHash _hash;
    private FileStream? _file;

    public Digest Digest { get; }
    public long ExpectedSize { get; }

    /// <summary>Bytes already held: a resumed download asks the registry for the rest.</summary>
    public long Offset { get; private set; }

    /// <summary>Another process finished this blob while we waited for its lock.</summary>
    public bool AlreadyStored => _store.Exists(Digest);

    internal BlobIngest(ContentStore store, Digest digest, long expectedSize, FileLock fileLock)
    {
        _store = store;
        _lock = fileLock;
        Digest = digest;
        ExpectedSize = expectedSize;
        _partial = store.Layout.IngestFile(digest);
        _hash = digest.CreateHash();
        if (!AlreadyStored) Reopen();
    }

    private void Reopen()
    {
        _file?.Dispose();
        _file = new FileStream(_partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
        if (_file.Length > ExpectedSize && ExpectedSize >= 0) _file.SetLength(0);
        // The hash state died with the previous process: rebuild it from the bytes we kept.
        _hash.Dispose();
        _hash = Digest.CreateHash();
        byte[] buffer = new byte[256 * 1024];
        _file.Position = 0;
        int read;
        while ((read = _file.Read(buffer)) > 0) _hash.AppendData(buffer, 0, read);
        Offset = _file.Length;
    }

    /// <summary>Throws away what was kept (the server ignored our range, or the bytes were bad).</summary>
    public void Restart()
    {
        _file!.SetLength(0);
        Reopen();
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (ExpectedSize >= 0 && Offset + data.Length > ExpectedSize)
            throw new ImageException($"blob {Digest}: more data than the {ExpectedSize} bytes its descriptor says");
        _file!.Write(data);
        _hash.AppendData(data);
        Offset += data.Length;
    }

    public void Commit()
    {
        if (AlreadyStored) return;
        _file!.Flush(flushToDisk: true);
        Digest actual = Digest.FromHash(Digest.Algorithm, _hash.GetCurrentHash());
        if (actual != Digest || (ExpectedSize >= 0 && Offset != ExpectedSize))
        {
            _file.SetLength(0);
            throw new ImageException(actual != Digest
                ? $"blob {Digest}: digest mismatch: downloaded content is {actual}"
                : $"blob {Digest}: size mismatch: expected {ExpectedSize} bytes, got {Offset}");
        }
        _file.Dispose();
        _file = null;
        _store.Adopt(_partial, Digest);
    }

    public void Dispose()
    {
        _file?.Dispose();
        _hash.Dispose();
        _lock.Dispose();
    }
}
