using System.Runtime.InteropServices;
using Z = Skiff.Linux.Interop.Zstd;

namespace Skiff.Images.Archive;

/// <summary>Decompresses a zstd stream (one or more frames) through libzstd's streaming API.</summary>
public sealed unsafe class ZstdDecompressionStream : Stream
{
    private readonly Stream _source;
    private readonly byte[] _input = new byte[128 * 1024];
    private nint _stream;
    private int _inputStart, _inputEnd;
    private bool _sourceDone;
    private bool _frameOpen;

    public ZstdDecompressionStream(Stream source)
    {
        _source = source;
        try { _stream = Z.CreateDStream(); }
        catch (DllNotFoundException e) { throw new ImageException("zstd layer: libzstd.so.1 is not installed (Debian package libzstd1)", e); }
        if (_stream == 0) throw new OutOfMemoryException("ZSTD_createDStream");
        ZstdCheck.Result(Z.InitDStream(_stream));
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        fixed (byte* output = buffer)
        fixed (byte* input = _input)
        {
            Z.Buffer outBuffer = new() { Data = output, Size = (nuint)buffer.Length, Position = 0 };
            while (outBuffer.Position == 0)
            {
                if (_inputStart == _inputEnd && !_sourceDone)
                {
                    _inputStart = 0;
                    _inputEnd = _source.Read(_input, 0, _input.Length);
                    if (_inputEnd == 0) _sourceDone = true;
                }
                if (_inputStart == _inputEnd && _sourceDone)
                {
                    if (_frameOpen) throw new InvalidDataException("zstd stream ends in the middle of a frame");
                    return 0;
                }
                Z.Buffer inBuffer = new() { Data = input + _inputStart, Size = (nuint)(_inputEnd - _inputStart), Position = 0 };
                nuint hint = ZstdCheck.Result(Z.DecompressStream(_stream, &outBuffer, &inBuffer));
                _inputStart += (int)inBuffer.Position;
                // A zero hint means a frame just ended; anything else means more input belongs to it.
                _frameOpen = hint != 0;
            }
            return (int)outBuffer.Position;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    protected override void Dispose(bool disposing)
    {
        if (_stream != 0) { Z.FreeDStream(_stream); _stream = 0; }
        if (disposing) _source.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Compresses into zstd frames (with content checksums) through libzstd.</summary>
public sealed unsafe class ZstdCompressionStream : Stream
{
    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly byte[] _output = new byte[128 * 1024];
    private nint _context;

    public ZstdCompressionStream(Stream destination, int level, bool leaveOpen = false)
    {
        _destination = destination;
        _leaveOpen = leaveOpen;
        try { _context = Z.CreateCCtx(); }
        catch (DllNotFoundException e) { throw new ImageException("zstd: libzstd.so.1 is not installed (Debian package libzstd1)", e); }
        ZstdCheck.Result(Z.CCtxSetParameter(_context, Z.CompressionLevelParameter, level));
        ZstdCheck.Result(Z.CCtxSetParameter(_context, Z.ChecksumFlagParameter, 1));
    }

    public override void Write(ReadOnlySpan<byte> buffer) => Compress(buffer, Z.EndContinue);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    private void Compress(ReadOnlySpan<byte> data, int endOp)
    {
        fixed (byte* input = data)
        fixed (byte* output = _output)
        {
            Z.Buffer inBuffer = new() { Data = input, Size = (nuint)data.Length, Position = 0 };
            while (true)
            {
                Z.Buffer outBuffer = new() { Data = output, Size = (nuint)_output.Length, Position = 0 };
                nuint remaining = ZstdCheck.Result(Z.CompressStream2(_context, &outBuffer, &inBuffer, endOp));
                _destination.Write(_output, 0, (int)outBuffer.Position);
                bool consumed = inBuffer.Position == inBuffer.Size;
                if (endOp == Z.EndContinue ? consumed : remaining == 0) return;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_context != 0)
        {
            try { if (disposing) Compress([], Z.EndEnd); }
            finally { Z.FreeCCtx(_context); _context = 0; }
            if (disposing && !_leaveOpen) _destination.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => _destination.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

internal static unsafe class ZstdCheck
{
    public static nuint Result(nuint code)
    {
        if (Z.IsError(code) != 0)
            throw new InvalidDataException("zstd: " + Marshal.PtrToStringUTF8((nint)Z.GetErrorName(code)));
        return code;
    }
}
