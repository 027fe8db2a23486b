namespace Skiff.Integration.Tests.Infrastructure;

public static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    /// <summary>Polls until the condition holds; fails the test naming what never happened.</summary>
    public static void Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Default;
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {limit.TotalSeconds:0.#}s for {what}");
            Thread.Sleep(20);
        }
    }

    public static string ForFile(string path, TimeSpan? timeout = null)
    {
        Until(() => File.Exists(path), $"{path} to appear", timeout);
        return File.ReadAllText(path);
    }
}
