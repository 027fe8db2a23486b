namespace Skiff.Runc;

internal static class Program
{
    private static int Main(string[] args) => RuncApp.Run(args, Console.Out, Console.Error);
}
