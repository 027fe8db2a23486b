using System.Globalization;

namespace Skiff.Runc.CommandLine;

/// <summary>
/// The signal argument of `kill`: a number (conmon and containerd send `9`), or a name with or
/// without its SIG prefix in any case (`KILL`, `sigkill`), or a real-time signal as
/// `RTMIN+n` / `RTMAX-n` the way kill(1) spells it.
/// </summary>
internal static class SignalName
{
    /// <summary>glibc keeps 32 and 33 for its threads, so SIGRTMIN is 34 for every program.</summary>
    public const int RtMin = 34, RtMax = 64;

    private static readonly Dictionary<string, int> Numbers = new(StringComparer.Ordinal)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["IOT"] = 6,
        ["BUS"] = 7, ["FPE"] = 8, ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12,
        ["PIPE"] = 13, ["ALRM"] = 14, ["TERM"] = 15, ["STKFLT"] = 16, ["CHLD"] = 17, ["CLD"] = 17,
        ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20, ["TTIN"] = 21, ["TTOU"] = 22, ["URG"] = 23,
        ["XCPU"] = 24, ["XFSZ"] = 25, ["VTALRM"] = 26, ["PROF"] = 27, ["WINCH"] = 28, ["IO"] = 29,
        ["POLL"] = 29, ["PWR"] = 30, ["SYS"] = 31,
    };

    public static int Parse(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            return number is >= 1 and <= RtMax ? number : throw Unknown(text);

        string name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        if (Numbers.TryGetValue(name, out number)) return number;
        if (TryRealTime(name, out number)) return number;
        throw Unknown(text);
    }

    private static bool TryRealTime(string name, out int number)
    {
        number = 0;
        int sign;
        int baseNumber;
        string rest;
        if (name.StartsWith("RTMIN", StringComparison.Ordinal)) { baseNumber = RtMin; sign = 1; rest = name[5..]; }
        else if (name.StartsWith("RTMAX", StringComparison.Ordinal)) { baseNumber = RtMax; sign = -1; rest = name[5..]; }
        else return false;

        if (rest.Length == 0) { number = baseNumber; return true; }
        char expectedSign = sign > 0 ? '+' : '-';
        if (rest[0] != expectedSign
            || !int.TryParse(rest.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int offset))
            return false;
        number = baseNumber + sign * offset;
        return number is >= RtMin and <= RtMax;
    }

    private static CliException Unknown(string text) =>
        new($"unknown signal \"{text}\": expected a name such as KILL or SIGTERM, or a number from 1 to {RtMax}");
}
