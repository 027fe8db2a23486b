using Skiff.Linux;

namespace Skiff.Images.Fs;

/// <summary>An owned file descriptor, closed on Dispose.</summary>
public sealed class UnixFd : IDisposable
{
    public int Value { get; private set; }

    public UnixFd(int fd) => Value = fd;

    /// <summary>The path the kernel resolves this fd to, for calls that only take paths.</summary>
    public string ProcPath => $"/proc/self/fd/{Value}";

    public void Dispose()
    {
        if (Value >= 0) Interop.Libc.Close(Value);
        Value = -1;
    }
}
