namespace Skiff.Cgroups.Tests.Behaviour;

/// <summary>Assertions that fail with a message saying what was expected and what was found.</summary>
internal static class Expect
{
    public static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new CheckFailed($"{what}: expected \"{expected}\", found \"{actual}\"");
    }

    public static void True(bool condition, string what)
    {
        if (!condition) throw new CheckFailed(what);
    }

    public static CgroupException Throws(Action action, string what)
    {
        try
        {
            action();
        }
        catch (CgroupException e)
        {
            return e;
        }
        throw new CheckFailed($"{what}: no CgroupException was thrown");
    }

    public static void WaitUntil(Func<bool> condition, string what)
    {
        // Generous: this waits for the kernel or a shell (the guest runs under emulation), never asserts speed.
        for (int i = 0; i < 1200; i++)
        {
            if (condition()) return;
            Thread.Sleep(50);
        }
        throw new CheckFailed($"{what}: not reached within 60 s");
    }
}

internal sealed class CheckFailed(string message) : Exception(message);
