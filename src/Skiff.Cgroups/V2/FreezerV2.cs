namespace Skiff.Cgroups.V2;

/// <summary>cgroup.freeze, a core v2 file: written, then cgroup.events is read until it reports "frozen 1".</summary>
internal static class FreezerV2
{
    public static void Freeze(string dir)
    {
        CgroupFile.Write(dir, "cgroup.freeze", "1");
        int delay = 1;
        for (int waited = 0; waited < 10_000; waited += delay)
        {
            if (Frozen(dir)) return;
            Thread.Sleep(delay);
            delay = Math.Min(delay * 2, 20);
        }
        CgroupFile.TryWrite(dir + "/cgroup.freeze", "0");
        throw new CgroupException($"cgroup: {dir} did not report frozen in {dir}/cgroup.events within 10 s");
    }

    public static void Thaw(string dir) => CgroupFile.Write(dir, "cgroup.freeze", "0");

    public static bool IsFrozen(string dir) => CgroupFile.ReadIfExists(dir, "cgroup.freeze")?.Trim() == "1";

    private static bool Frozen(string dir) =>
        CgroupFile.Read(dir, "cgroup.events").Split('\n').Contains("frozen 1");
}
