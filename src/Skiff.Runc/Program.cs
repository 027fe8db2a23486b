using Skiff.Runc.Output;
using Skiff.Runtime.Lifecycle;

namespace Skiff.Runc;

internal static class Program
{
    private static int Main(string[] args)
    {
        // skiff-runc is also its own hook trampoline (a hidden first argument, never a verb).
        if (HookTrampoline.Handles(args)) return HookTrampoline.Run(args);
        HookRunner.Trampoline = "/proc/self/exe";
        return RuncApp.Run(args, FdWriter.StandardOutput, FdWriter.StandardError, sealBinary: true);
    }
}
