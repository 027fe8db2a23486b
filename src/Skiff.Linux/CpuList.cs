using System.Globalization;

namespace Skiff.Linux;

/// <summary>An inclusive run of CPU (or memory node) numbers, "2-5" or "7" in a list.</summary>
public readonly record struct CpuRange(int First, int Last);

/// <summary>
/// The kernel's list format for CPUs and memory nodes ("0-3,5": cpuset(7), sched_setaffinity's
/// users, /sys/devices/system/cpu/online), read the same way wherever skiff meets it.
/// </summary>
public static class CpuList
{
    /// <summary>
    /// The ranges of a list, in the order written. Blanks around items and empty items are
    /// ignored, so "" and "\n" are the empty list (an empty cpuset file); anything else that is
    /// not a number or a forward range throws a <see cref="FormatException"/> naming the list.
    /// </summary>
    public static IReadOnlyList<CpuRange> Parse(string text)
    {
        var ranges = new List<CpuRange>();
        foreach (string part in text.Split(','))
        {
            string item = part.Trim();
            if (item.Length == 0) continue;
            int dash = item.IndexOf('-');
            int first = Number(dash < 0 ? item : item[..dash], text);
            int last = dash < 0 ? first : Number(item[(dash + 1)..], text);
            if (last < first) throw new FormatException($"CPU list \"{text}\": range {item} runs backwards");
            ranges.Add(new CpuRange(first, last));
        }
        return ranges;
    }

    /// <summary>Every number the list names, range by range: "0-2,5" is 0, 1, 2, 5.</summary>
    public static IEnumerable<int> Numbers(IEnumerable<CpuRange> ranges)
    {
        // Counted in long: a range that ends at int.MaxValue must end.
        foreach (CpuRange range in ranges)
            for (long n = range.First; n <= range.Last; n++) yield return (int)n;
    }

    /// <summary>The highest number a non-empty list names.</summary>
    public static int Highest(IReadOnlyList<CpuRange> ranges)
    {
        int highest = int.MinValue;
        foreach (CpuRange range in ranges) highest = Math.Max(highest, range.Last);
        return highest;
    }

    private static int Number(string text, string list) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            ? number
            : throw new FormatException($"CPU list \"{list}\": \"{text}\" is not a CPU number");
}
