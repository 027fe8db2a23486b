using System.Text.RegularExpressions;

namespace Skiff.Seccomp.Tests;

/// <summary>The system call tables of the kernel headers installed on this machine (Debian's linux-libc-dev).</summary>
public static partial class UnistdHeader
{
    public const string Directory = "/usr/include/x86_64-linux-gnu/asm";

    public static IReadOnlyDictionary<string, long> X86_64 => Parse("unistd_64.h");

    public static IReadOnlyDictionary<string, long> I386 => Parse("unistd_32.h");

    public static IReadOnlyDictionary<string, long> X32 => Parse("unistd_x32.h");

    public static IReadOnlyDictionary<string, long> Parse(string file)
    {
        var table = new Dictionary<string, long>();
        foreach (string line in File.ReadLines(Path.Combine(Directory, file)))
        {
            Match match = Define().Match(line);
            if (!match.Success)
                continue;
            long number = long.Parse(match.Groups["nr"].Value);
            table[match.Groups["name"].Value] = match.Groups["x32"].Success ? 0x40000000 + number : number;
        }
        return table;
    }

    [GeneratedRegex(@"^#define __NR_(?<name>[a-z0-9_]+)\s+(?:\((?<x32>__X32_SYSCALL_BIT) \+ (?<nr>\d+)\)|(?<nr>\d+))$")]
    private static partial Regex Define();
}
