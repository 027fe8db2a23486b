using System.Buffers.Binary;

namespace Skiff.Seccomp.Tests;

/// <summary>What the kernel hands a seccomp filter (struct seccomp_data).</summary>
public sealed record SeccompData(uint Nr, uint Arch, ulong InstructionPointer = 0, params ulong[] Args)
{
    public const uint X86_64 = 0xc000003e;
    public const uint I386 = 0x40000003;

    public static SeccompData X64(uint nr, params ulong[] args) => new(nr, X86_64, 0, args);

    public static SeccompData X32(uint nr, params ulong[] args) => new(0x40000000 | nr, X86_64, 0, args);

    public static SeccompData Ia32(uint nr, params ulong[] args) => new(nr, I386, 0, args);

    public byte[] ToBytes()
    {
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Nr);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Arch);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), InstructionPointer);
        for (int i = 0; i < Math.Min(6, Args.Length); i++)
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16 + 8 * i), Args[i]);
        return bytes;
    }
}

/// <summary>
/// A classic BPF interpreter with the kernel's seccomp rules: it first checks the program the way
/// the kernel does at load time (length, known opcodes, jumps inside the program, aligned loads inside
/// seccomp_data, a return at the end), then runs it over one seccomp_data and reports the verdict.
/// Written from the BPF definition in linux/filter.h, independent of the compiler under test.
/// </summary>
public static class BpfInterpreter
{
    public static void Verify(byte[] filter)
    {
        Assert.True(filter.Length % 8 == 0, "filter is not whole instructions");
        int count = filter.Length / 8;
        Assert.InRange(count, 1, 4096);
        for (int pc = 0; pc < count; pc++)
        {
            var (code, jt, jf, k) = Decode(filter, pc);
            switch (code)
            {
                case 0x20: // ld [k]
                    Assert.True(k % 4 == 0 && k < 64, $"pc {pc}: load at {k} outside seccomp_data");
                    break;
                case 0x00 or 0x01 or 0x02 or 0x03 or 0x60 or 0x61 or 0x07 or 0x87 or 0x04 or 0x14 or 0x24 or 0x34 or 0x44 or 0x54 or 0x64 or 0x74 or 0x84 or 0xa4 or 0x06 or 0x16:
                    break;
                case 0x05: // ja
                    Assert.True(pc + 1 + (long)k < count, $"pc {pc}: ja leaves the program");
                    break;
                case 0x15 or 0x25 or 0x35 or 0x45 or 0x1d or 0x2d or 0x3d or 0x4d:
                    Assert.True(pc + 1 + jt < count && pc + 1 + jf < count, $"pc {pc}: branch leaves the program");
                    break;
                default:
                    Assert.Fail($"pc {pc}: opcode 0x{code:x4} is not allowed in a seccomp filter");
                    break;
            }
        }
        var last = Decode(filter, count - 1).Code;
        Assert.True(last is 0x06 or 0x16, "the last instruction must return");
    }

    public static uint Run(byte[] filter, SeccompData data)
    {
        byte[] input = data.ToBytes();
        uint a = 0, x = 0;
        var memory = new uint[16];
        int pc = 0;
        for (int steps = 0; steps <= filter.Length / 8; steps++)
        {
            var (code, jt, jf, k) = Decode(filter, pc);
            pc++;
            switch (code)
            {
                case 0x20: a = BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan((int)k)); break;
                case 0x00: a = k; break;
                case 0x01: x = k; break;
                case 0x60: a = memory[k]; break;
                case 0x61: x = memory[k]; break;
                case 0x02: memory[k] = a; break;
                case 0x03: memory[k] = x; break;
                case 0x07: x = a; break;
                case 0x87: a = x; break;
                case 0x04: a += k; break;
                case 0x14: a -= k; break;
                case 0x24: a *= k; break;
                case 0x34: a /= k; break;
                case 0x44: a |= k; break;
                case 0x54: a &= k; break;
                case 0x64: a <<= (int)k; break;
                case 0x74: a >>= (int)k; break;
                case 0x84: a = (uint)-(int)a; break;
                case 0xa4: a ^= k; break;
                case 0x05: pc += (int)k; break;
                case 0x15: pc += a == k ? jt : jf; break;
                case 0x25: pc += a > k ? jt : jf; break;
                case 0x35: pc += a >= k ? jt : jf; break;
                case 0x45: pc += (a & k) != 0 ? jt : jf; break;
                case 0x1d: pc += a == x ? jt : jf; break;
                case 0x2d: pc += a > x ? jt : jf; break;
                case 0x3d: pc += a >= x ? jt : jf; break;
                case 0x4d: pc += (a & x) != 0 ? jt : jf; break;
                case 0x06: return k;
                case 0x16: return a;
                default: throw new InvalidOperationException($"opcode 0x{code:x4} at {pc - 1}");
            }
        }
        throw new InvalidOperationException("the program ran longer than its length: a backward jump?");
    }

    static (ushort Code, byte Jt, byte Jf, uint K) Decode(byte[] filter, int pc)
    {
        var span = filter.AsSpan(pc * 8, 8);
        return (BinaryPrimitives.ReadUInt16LittleEndian(span), span[2], span[3], BinaryPrimitives.ReadUInt32LittleEndian(span[4..]));
    }
}

/// <summary>Verdicts as tests spell them.</summary>
public static class Ret
{
    public const uint Allow = 0x7fff0000;
    public const uint KillThread = 0;
    public const uint KillProcess = 0x80000000;
    public const uint Log = 0x7ffc0000;
    public const uint Notify = 0x7fc00000;
    public static uint Errno(uint errno) => 0x00050000 | errno;
    public static uint Trap(uint data = 0) => 0x00030000 | data;
    public static uint Trace(uint data) => 0x7ff00000 | data;
}
