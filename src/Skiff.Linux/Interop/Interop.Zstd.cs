using System.Runtime.InteropServices;

namespace Skiff.Linux;

/// <summary>
/// Debian's libzstd (package libzstd1), streaming API only. Bound lazily by name so that a binary
/// that never meets a zstd layer never needs the library.
/// </summary>
public static unsafe partial class Interop
{
    public static partial class Zstd
    {
        private const string Library = "libzstd.so.1";

        [LibraryImport(Library, EntryPoint = "ZSTD_createDStream")]
        public static partial nint CreateDStream();

        [LibraryImport(Library, EntryPoint = "ZSTD_freeDStream")]
        public static partial nuint FreeDStream(nint stream);

        [LibraryImport(Library, EntryPoint = "ZSTD_initDStream")]
        public static partial nuint InitDStream(nint stream);

        [LibraryImport(Library, EntryPoint = "ZSTD_decompressStream")]
        public static partial nuint DecompressStream(nint stream, Buffer* output, Buffer* input);

        [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
        public static partial uint IsError(nuint code);

        [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
        public static partial byte* GetErrorName(nuint code);

        /// <summary>ZSTD_inBuffer and ZSTD_outBuffer share this shape.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct Buffer
        {
            public void* Data;
            public nuint Size;
            public nuint Position;
        }
    }
}
