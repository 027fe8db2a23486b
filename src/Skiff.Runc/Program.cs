using Skiff.Runc.Output;

namespace Skiff.Runc;

internal static class Program
{
    private static int Main(string[] args) => RuncApp.Run(args, FdWriter.StandardOutput, FdWriter.StandardError, sealBinary: true);
}
