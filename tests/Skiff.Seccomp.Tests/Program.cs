namespace Skiff.Seccomp.Tests;

/// <summary>
/// The test assembly doubles as the probe program that <see cref="KernelTests"/> runs in a child
/// process: a filter loaded into the test host itself would confine the test run.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => args is ["probe", ..] ? SeccompProbe.Run(args[1..]) : 2;
}
