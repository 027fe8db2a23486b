using System.Runtime.InteropServices;
using Skiff.Images.IO;
using Z = Skiff.Linux.Interop.Zstd;

namespace Skiff.Images.Archive;

/// <summary>Decompresses a zstd stream (one or more frames) through libzstd's streaming API.</summary>
public sealed unsafe class ZstdDecompressionStream : ReadOnlyStream
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

    protected override void Dispose(bool disposing)
    {
        if (_stream != 0) { Z.FreeDStream(_stream); _stream = 0; }
        if (disposing) _source.Dispose();
        base.Dispose(disposing);
    }
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
