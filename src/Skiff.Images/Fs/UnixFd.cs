using Microsoft.Win32.SafeHandles;
using Skiff.Linux;

namespace Skiff.Images.Fs;

/// <summary>An owned file descriptor, closed on Dispose.</summary>
public sealed class UnixFd : IDisposable
{
    public int Value { get; private set; }

    public UnixFd(int fd) => Value = fd;

    /// <summary>The path the kernel resolves this fd to, for calls that only take paths.</summary>
    public string ProcPath => $"/proc/self/fd/{Value}";

    /// <summary>Hands the descriptor to a SafeFileHandle (for RandomAccess); this object forgets it.</summary>
    public SafeFileHandle ToSafeFileHandle()
    {
        SafeFileHandle handle = new(Value, ownsHandle: true);
        Value = -1;
        return handle;
    }

    public void Dispose()
    {
        if (Value >= 0) Interop.Libc.Close(Value);
        Value = -1;
    }
}
