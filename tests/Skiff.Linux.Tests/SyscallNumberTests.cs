using System.Reflection;
using System.Text;
using Skiff.Linux;
using Skiff.Seccomp;

namespace Skiff.Linux.Tests;

/// <summary>The numbers skiff calls by hand are the kernel's: each one against the tables generated from linux-libc-dev.</summary>
public class SyscallNumberTests
{
    public static TheoryData<string, long> Numbers()
    {
        var data = new TheoryData<string, long>();
        foreach (FieldInfo field in typeof(Syscall).GetFields(BindingFlags.Public | BindingFlags.Static))
            data.Add(KernelName(field.Name), (long)field.GetRawConstantValue()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Each_number_is_the_x86_64_kernel_s(string name, long number)
    {
        Assert.Equal(SyscallTables.X86_64(name), number);
    }

    [Fact]
    public void The_names_are_read_as_the_kernel_spells_them()
    {
        Assert.Equal("rt_sigprocmask", KernelName("RtSigprocmask"));
        Assert.Equal("prlimit64", KernelName("Prlimit64"));
        Assert.Equal("pidfd_send_signal", KernelName("PidfdSendSignal"));
    }

    /// <summary>PascalCase to the kernel's snake_case: "PivotRoot" is pivot_root, "Openat2" openat2.</summary>
    private static string KernelName(string field)
    {
        var name = new StringBuilder();
        foreach (char c in field)
        {
            if (char.IsUpper(c) && name.Length > 0) name.Append('_');
            name.Append(char.ToLowerInvariant(c));
        }
        return name.ToString();
    }
}
