using System.Runtime.InteropServices;
using System.Text;

namespace Skiff.Runtime.Launch;

/// <summary>Everything the child needs, reachable from one pointer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ChildContext
{
    public RawStep* Steps;
    public int Count;
    public int SyncFd;
}

/// <summary>
/// A <see cref="LaunchPlan"/> lowered into one block of unmanaged memory, laid out by the parent
/// before clone(2) so that the child only reads it (fork-safety rule 1 in ARCHITECTURE.md).
/// </summary>
internal sealed unsafe class NativePlan : IDisposable
{
    private byte* _arena;
    private byte* _next;
    private byte* _end;

    public ChildContext* Context { get; private set; }

    public NativePlan(IReadOnlyList<Step> steps, int syncFd)
    {
        nuint size = (nuint)(sizeof(ChildContext) + steps.Count * sizeof(RawStep) + 64);
        foreach (Step step in steps) size += SizeOf(step);
        _arena = (byte*)NativeMemory.AllocZeroed(size);
        _next = _arena;
        _end = _arena + size;

        try { Lay(steps, syncFd); }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Lay(IReadOnlyList<Step> steps, int syncFd)
    {
        Context = (ChildContext*)Take(sizeof(ChildContext));
        Context->Steps = (RawStep*)Take(steps.Count * sizeof(RawStep));
        Context->Count = steps.Count;
        Context->SyncFd = syncFd;
        for (int i = 0; i < steps.Count; i++)
        {
            Step s = steps[i];
            RawStep* raw = Context->Steps + i;
            raw->Kind = s.Kind;
            raw->Fd = s.Fd;
            raw->A = s.A; raw->B = s.B; raw->C = s.C; raw->D = s.D; raw->E = s.E;
            raw->S1 = s.Bytes1 is { } bytes ? Bytes(bytes) : Text(s.S1, s);
            raw->S2 = Text(s.S2, s);
            raw->S3 = Text(s.S3, s);
            raw->S4 = Text(s.S4, s);
            raw->V1 = Vector(s.V1, s);
            raw->V2 = Vector(s.V2, s);
        }
    }

    public void Dispose()
    {
        if (_arena == null) return;
        NativeMemory.Free(_arena);
        _arena = null;
    }

    private static nuint SizeOf(Step s)
    {
        nuint size = TextSize(s.S1) + TextSize(s.S2) + TextSize(s.S3) + TextSize(s.S4) + VectorSize(s.V1) + VectorSize(s.V2);
        if (s.Bytes1 is { } bytes) size += (nuint)bytes.Length + 8;
        return size;
    }

    private static nuint TextSize(string? text) => text is null ? 0 : Align((nuint)Encoding.UTF8.GetByteCount(text) + 1);

    private static nuint VectorSize(IReadOnlyList<string>? vector)
    {
        if (vector is null) return 0;
        nuint size = (nuint)((vector.Count + 1) * sizeof(byte*));
        foreach (string item in vector) size += TextSize(item);
        return size;
    }

    private static nuint Align(nuint n) => (n + 7) & ~(nuint)7;

    private byte* Take(int bytes)
    {
        byte* at = _next;
        _next += Align((nuint)bytes);
        if (_next > _end) throw new InvalidOperationException("launch plan arena overflow");
        return at;
    }

    /// <summary>A C string: one with a NUL inside would reach the child cut short, so it never gets there.</summary>
    private byte* Text(string? text, Step step)
    {
        if (text is null) return null;
        if (text.Contains('\0'))
            throw new RuntimeException($"{ErrorText.Bounded(step.Description, 128)}: a string contains a NUL byte");
        int count = Encoding.UTF8.GetByteCount(text);
        byte* at = Take(count + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(at, count));
        at[count] = 0;
        return at;
    }

    private byte* Bytes(byte[] bytes)
    {
        byte* at = Take(bytes.Length);
        bytes.CopyTo(new Span<byte>(at, bytes.Length));
        return at;
    }

    private byte** Vector(IReadOnlyList<string>? vector, Step step)
    {
        if (vector is null) return null;
        byte** items = (byte**)Take((vector.Count + 1) * sizeof(byte*));
        for (int i = 0; i < vector.Count; i++) items[i] = Text(vector[i], step);
        items[vector.Count] = null;
        return items;
    }
}
