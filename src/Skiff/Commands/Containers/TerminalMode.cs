using System.Runtime.InteropServices;
using Skiff.Linux;

namespace Skiff.Commands.Containers;

/// <summary>Our terminal in raw mode while attached to a container's pty, restored on dispose.</summary>
public sealed unsafe class TerminalMode : IDisposable
{
    private const int TCSANOW = 0;
    private const ulong TIOCGWINSZ = 0x5413;
    private readonly byte[]? _saved;

    private TerminalMode(byte[]? saved) => _saved = saved;

    public static TerminalMode Raw()
    {
        if (Interop.Libc.IsATty(0) != 1) return new TerminalMode(null);
        byte[] saved = new byte[128];
        byte* raw = stackalloc byte[128];
        fixed (byte* p = saved)
        {
            if (Interop.Libc.TcGetAttr(0, p) != 0) return new TerminalMode(null);
            new Span<byte>(p, 128).CopyTo(new Span<byte>(raw, 128));
        }
        Interop.Libc.CfMakeRaw(raw);
        Interop.Libc.TcSetAttr(0, TCSANOW, raw);
        return new TerminalMode(saved);
    }

    /// <summary>Our terminal's rows and columns, if stdout or stdin is one.</summary>
    public static (int Rows, int Columns)? Size()
    {
        ushort* size = stackalloc ushort[4];
        if (Interop.Libc.Ioctl(0, TIOCGWINSZ, size) != 0 && Interop.Libc.Ioctl(1, TIOCGWINSZ, size) != 0) return null;
        return (size[0], size[1]);
    }

    public void Dispose()
    {
        if (_saved is null) return;
        fixed (byte* p = _saved) Interop.Libc.TcSetAttr(0, TCSANOW, p);
    }
}

/// <summary>Docker's detach keys: a sequence like "ctrl-p,ctrl-q" that, typed in full, detaches instead of reaching the container.</summary>
public sealed class DetachKeys(byte[] sequence)
{
    private int _matched;

    public static DetachKeys Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) text = "ctrl-p,ctrl-q";
        List<byte> keys = [];
        foreach (string key in text.Split(','))
        {
            if (key.Length == 1) keys.Add((byte)key[0]);
            else if (key.StartsWith("ctrl-", StringComparison.Ordinal) && key.Length == 6)
            {
                char c = char.ToLowerInvariant(key[5]);
                keys.Add(c switch { >= 'a' and <= 'z' => (byte)(c - 'a' + 1), '@' => 0, '[' => 27, '\\' => 28, ']' => 29, '^' => 30, '_' => 31, _ => throw new Skiff.Engine.EngineException($"Invalid detach keys ({text}) provided") });
            }
            else throw new Skiff.Engine.EngineException($"Invalid detach keys ({text}) provided");
        }
        return new DetachKeys([.. keys]);
    }

    /// <summary>
    /// Feeds typed bytes through the matcher: returns what should reach the container (a partial
    /// match is held back until it fails) and whether the whole sequence was typed.
    /// </summary>
    public (byte[] Forward, bool Detach) Feed(ReadOnlySpan<byte> input)
    {
        List<byte> forward = [];
        foreach (byte b in input)
        {
            if (b == sequence[_matched])
            {
                if (++_matched == sequence.Length) return ([.. forward], true);
                continue;
            }
            forward.AddRange(sequence.AsSpan(0, _matched).ToArray());
            _matched = b == sequence[0] ? 1 : 0;
            if (_matched == 0) forward.Add(b);
        }
        return ([.. forward], false);
    }
}
