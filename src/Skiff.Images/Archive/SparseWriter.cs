using Skiff.Linux;

namespace Skiff.Images.Archive;

/// <summary>
/// Writes file data at offsets, leaving every all-zero 4 KiB block as a hole: sparse files stay
/// sparse whether the archive marked them (PAX sparse) or just carried the zeros.
/// </summary>
internal sealed unsafe class SparseWriter(int fd, byte[] buffer)
{
    private const int Block = 4096;

    /// <summary>One past the last byte given to the writer (written or left as a hole).</summary>
    public long Written { get; private set; }

    /// <summary>The last block was a hole, so the file's length must be set explicitly.</summary>
    public bool EndsInHole { get; private set; }

    public long CopyAll(Stream data)
    {
        long offset = 0;
        int read;
        while ((read = data.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
        {
            Write(buffer.AsSpan(0, read), offset);
            offset += read;
        }
        return offset;
    }

    public void CopyExactly(Stream data, long offset, long length)
    {
        while (length > 0)
        {
            int chunk = (int)Math.Min(buffer.Length, length);
            data.ReadExactly(buffer, 0, chunk);
            Write(buffer.AsSpan(0, chunk), offset);
            offset += chunk;
            length -= chunk;
        }
    }

    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        int i = 0;
        while (i < data.Length)
        {
            int start = i;
            while (i < data.Length && !IsZeroBlock(data, offset, ref i, advanceIfZero: false)) { }
            if (i > start) { WriteAll(data[start..i], offset + start); EndsInHole = false; }
            int holeStart = i;
            while (i < data.Length && IsZeroBlock(data, offset, ref i, advanceIfZero: true)) { }
            if (i > holeStart) EndsInHole = true;
        }
        Written = Math.Max(Written, offset + data.Length);
    }

    /// <summary>Looks at the block that starts at <paramref name="i"/> (aligned to file offsets);
    /// advances past it when it is data, or when it is zeros and that was asked for.</summary>
    private static bool IsZeroBlock(ReadOnlySpan<byte> data, long offset, ref int i, bool advanceIfZero)
    {
        int end = (int)Math.Min(data.Length, i + (Block - (offset + i) % Block));
        bool zero = !data[i..end].ContainsAnyExcept((byte)0);
        if (zero == advanceIfZero) i = end;
        return zero;
    }

    private void WriteAll(ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* start = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = Interop.Libc.PWrite(fd, start + done, data.Length - done, offset + done);
                if (n < 0)
                {
                    if (Errno.Last == Errno.EINTR) continue;
                    throw new IOException($"write: {Errno.Describe(Errno.Last)}");
                }
                done += (int)n;
            }
        }
    }
}
