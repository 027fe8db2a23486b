namespace Skiff.Cgroups.V1;

/// <summary>freezer: freezer.state, written and then polled until the kernel reports FROZEN.</summary>
internal static class FreezerV1
{
    public static void Freeze(string dir)
    {
        try
        {
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                // A freeze can stall behind a task that keeps forking or sleeps uninterruptibly; thawing
                // for a moment and trying again gets past it (runc learned this the hard way).
                if (attempt % 50 == 49)
                {
                    CgroupFile.Write(dir, "freezer.state", "THAWED");
                    Thread.Sleep(10);
                }
                CgroupFile.Write(dir, "freezer.state", "FROZEN");
                switch (State(dir))
                {
                    case "FROZEN":
                        return;
                    case "FREEZING":
                        if (attempt % 25 == 24) Thread.Sleep(1);
                        continue;
                    case var other:
                        throw new CgroupException($"cgroup: {dir}/freezer.state is \"{other}\" while freezing");
                }
            }
            throw new CgroupException($"cgroup: {dir} did not freeze: a process in it keeps the freezer in FREEZING");
        }
        catch
        {
            CgroupFile.TryWrite(dir + "/freezer.state", "THAWED");
            throw;
        }
    }

    public static void Thaw(string dir) => CgroupFile.Write(dir, "freezer.state", "THAWED");

    /// <summary>Frozen by its own freezer.state, not merely because a parent is frozen.</summary>
    public static bool IsFrozen(string dir)
    {
        while (true)
        {
            string state = State(dir);
            if (state == "FREEZING")
            {
                Thread.Sleep(1);
                continue;
            }
            if (state != "FROZEN") return false;
            return CgroupFile.ReadIfExists(dir, "freezer.self_freezing")?.Trim() != "0";
        }
    }

    private static string State(string dir) => CgroupFile.Read(dir, "freezer.state").Trim();
}
