using System.Globalization;

namespace Skiff.Cli;

/// <summary>Docker's human units: decimal sizes ("4.26MB") and durations ("2 weeks ago").</summary>
public static class Units
{
    private static readonly string[] SizeUnits = ["B", "kB", "MB", "GB", "TB", "PB"];

    /// <summary>Sizes with 3 significant digits in powers of 1000, as docker images shows them.</summary>
    public static string HumanSize(double bytes, int significant = 3)
    {
        int unit = 0;
        while (bytes >= 1000 && unit < SizeUnits.Length - 1) { bytes /= 1000; unit++; }
        string number = bytes.ToString("G" + significant, CultureInfo.InvariantCulture);
        return number + SizeUnits[unit];
    }

    /// <summary>"About a minute", "3 hours", "2 weeks": go-units' HumanDuration.</summary>
    public static string HumanDuration(TimeSpan duration)
    {
        double seconds = duration.TotalSeconds;
        if (seconds < 1) return "Less than a second";
        if (seconds < 2) return "1 second";
        if (seconds < 60) return $"{(int)seconds} seconds";
        double minutes = duration.TotalMinutes;
        if (minutes < 2) return "About a minute";
        if (minutes < 60) return $"{(int)minutes} minutes";
        double hours = duration.TotalHours;
        if (Math.Round(hours) == 1) return "About an hour";
        if (hours < 48) return $"{(int)hours} hours";
        if (hours < 24 * 7 * 2) return $"{(int)(hours / 24)} days";
        if (hours < 24 * 30 * 2) return $"{(int)(hours / 24 / 7)} weeks";
        if (hours < 24 * 365 * 2) return $"{(int)(hours / 24 / 30)} months";
        return $"{(int)(hours / 24 / 365)} years";
    }

    public static string Ago(DateTimeOffset? time) =>
        time is { } t && t > DateTimeOffset.UnixEpoch ? HumanDuration(DateTimeOffset.UtcNow - t) + " ago" : "N/A";
}
