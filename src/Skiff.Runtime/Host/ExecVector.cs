using System.Runtime.InteropServices;
using System.Text;

namespace Skiff.Runtime;

/// <summary>argv and envp for an execve that replaces this process (so nothing is ever freed).</summary>
internal static unsafe class ExecVector
{
    /// <summary>A NULL-terminated vector over NUL-separated strings.</summary>
    public static byte** FromNulSeparated(byte[] data)
    {
        byte* text = (byte*)NativeMemory.Alloc((nuint)data.Length + 1);
        data.CopyTo(new Span<byte>(text, data.Length));
        text[data.Length] = 0;
        int count = 0;
        for (int i = 0; i < data.Length; i++) if (data[i] == 0) count++;
        if (data.Length > 0 && data[^1] != 0) count++;
        byte** vector = (byte**)NativeMemory.Alloc((nuint)(count + 1), (nuint)sizeof(byte*));
        int n = 0;
        for (int start = 0; start < data.Length;)
        {
            vector[n++] = text + start;
            while (start < data.Length && data[start] != 0) start++;
            start++;
        }
        vector[n] = null;
        return vector;
    }

    public static byte** Of(IEnumerable<string> items)
    {
        var bytes = new List<byte>();
        foreach (string item in items)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(item));
            bytes.Add(0);
        }
        return FromNulSeparated([.. bytes]);
    }
}
