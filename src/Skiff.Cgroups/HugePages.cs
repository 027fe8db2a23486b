using System.Globalization;

namespace Skiff.Cgroups;

/// <summary>Huge page sizes as the hugetlb controller names them ("2MB", "1GB"), and the limit writes both versions share.</summary>
internal static class HugePages
{
    /// <summary>The sizes the kernel offers, from /sys/kernel/mm/hugepages/hugepages-2048kB and the like.</summary>
    public static IReadOnlyList<string> Sizes()
    {
        const string root = "/sys/kernel/mm/hugepages";
        if (!Directory.Exists(root)) return [];
        var kilobytes = new List<ulong>();
        foreach (string dir in Directory.GetDirectories(root))
        {
            string name = Path.GetFileName(dir);
            if (name.StartsWith("hugepages-", StringComparison.Ordinal) && name.EndsWith("kB", StringComparison.Ordinal))
                kilobytes.Add(ulong.Parse(name["hugepages-".Length..^2], CultureInfo.InvariantCulture));
        }
        kilobytes.Sort();
        return kilobytes.ConvertAll(Name);
    }

    /// <summary>The controller's name for a size in kB: 2048 -> "2MB", 1048576 -> "1GB" (the kernel's mem_fmt).</summary>
    internal static string Name(ulong kilobytes)
    {
        ulong bytes = kilobytes * 1024;
        if (bytes >= 1UL << 30) return $"{bytes >> 30}GB";
        if (bytes >= 1UL << 20) return $"{bytes >> 20}MB";
        return $"{bytes >> 10}KB";
    }

    public static void Apply(string dir, ResourceRequest request, string limitSuffix, string reservedSuffix)
    {
        var limits = request.Resources.HugepageLimits;
        if (limits is not { Count: > 0 }) return;
        bool reservations = true;
        foreach (var limit in limits)
        {
            string value = limit.Limit.ToString(CultureInfo.InvariantCulture);
            CgroupFile.Write(dir, $"hugetlb.{limit.PageSize}{limitSuffix}", value);
            // Reservation accounting (Linux 5.7+) must be limited too, or reserved pages escape the limit.
            if (reservations && CgroupFile.Exists(dir, $"hugetlb.{limit.PageSize}{reservedSuffix}"))
                CgroupFile.Write(dir, $"hugetlb.{limit.PageSize}{reservedSuffix}", value);
            else reservations = false;
        }
    }
}
