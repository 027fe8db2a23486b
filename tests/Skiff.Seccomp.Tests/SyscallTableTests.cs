namespace Skiff.Seccomp.Tests;

/// <summary>The generated tables against the kernel headers installed here: every call the headers name
/// has the same number in the tables (the tables may know newer calls than the installed package).</summary>
public class SyscallTableTests
{
    public static TheoryData<string> Abis => new() { "x86_64", "i386", "x32" };

    [Theory]
    [MemberData(nameof(Abis))]
    public void Generated_table_agrees_with_the_installed_headers(string abi)
    {
        var (header, lookup) = abi switch
        {
            "x86_64" => (UnistdHeader.X86_64, (Func<string, long>)SyscallTables.X86_64),
            "i386" => (UnistdHeader.I386, SyscallTables.I386),
            _ => (UnistdHeader.X32, SyscallTables.X32),
        };
        Assert.True(header.Count > 300, $"only {header.Count} calls in the {abi} header");
        var wrong = header.Where(p => lookup(p.Key) != p.Value).Select(p => $"{p.Key}: header {p.Value}, table {lookup(p.Key)}").ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void Tables_say_where_they_came_from_and_know_unknown_names_not()
    {
        Assert.StartsWith("Debian package linux-libc-dev ", SyscallTables.Source);
        Assert.Equal(-1, SyscallTables.X86_64("socketcall"));
        Assert.Equal(102, SyscallTables.I386("socketcall"));
        Assert.Equal(0x40000000 + 512, SyscallTables.X32("rt_sigaction"));
        Assert.Equal(-1, SyscallTables.X86_64("no_such_call"));
    }
}
