using System.Globalization;

namespace Skiff.Cgroups.Devices;

/// <summary>
/// What a list of device rules amounts to, computed the way the v1 devices controller combines them:
/// a default (allow or deny every device) and exceptions to it. Lets the v1 driver skip rewriting an
/// unchanged list (a rewrite briefly denies everything to running processes) and gives the v2 eBPF
/// program its table.
/// </summary>
internal sealed class DeviceState
{
    public bool DefaultAllow { get; private set; }

    /// <summary>Exceptions to the default, keyed by (type, major, minor).</summary>
    public SortedDictionary<(char Type, long Major, long Minor), DeviceAccess> Exceptions { get; } = new();

    public static DeviceState From(IEnumerable<DeviceRule> rules)
    {
        // A container starts from "deny everything", as runc's emulator does.
        var state = new DeviceState();
        foreach (var rule in rules) state.Add(rule);
        return state;
    }

    public void Add(DeviceRule rule)
    {
        if (rule.Type == 'a')
        {
            // The kernel treats any "a" rule as a reset of the whole list to allow-all or deny-all.
            DefaultAllow = rule.Allow;
            Exceptions.Clear();
            return;
        }
        var key = (rule.Type, rule.Major, rule.Minor);
        if (rule.Allow != DefaultAllow)
        {
            Exceptions[key] = Exceptions.GetValueOrDefault(key) | rule.Access;
            return;
        }
        if (!Exceptions.TryGetValue(key, out var access)) return;
        access &= ~rule.Access;
        if (access == DeviceAccess.None) Exceptions.Remove(key);
        else Exceptions[key] = access;
    }

    /// <summary>The lines to write: a reset, then each exception (to devices.allow when the default denies).</summary>
    public IEnumerable<DeviceRule> Rules()
    {
        yield return new DeviceRule('a', DeviceRule.Wildcard, DeviceRule.Wildcard, DeviceAccess.All, DefaultAllow);
        foreach (var ((type, major, minor), access) in Exceptions)
            yield return new DeviceRule(type, major, minor, access, !DefaultAllow);
    }

    /// <summary>Parses v1 devices.list: "a *:* rwm" in allow mode (exceptions are not listed then), else the allowed entries.</summary>
    public static DeviceState FromList(string list)
    {
        var state = new DeviceState();
        foreach (string line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', ':');
            if (fields.Length != 4 || !DeviceRule.TryParseAccess(fields[3], out var access)) continue;
            if (fields[0] == "a")
            {
                state.DefaultAllow = true;
                continue;
            }
            state.Exceptions[(fields[0][0], Parse(fields[1]), Parse(fields[2]))] = access;
        }
        return state;
    }

    /// <summary>Whether the kernel's list provably already says what this state says (never in allow mode, whose exceptions are hidden).</summary>
    public bool Matches(DeviceState current)
    {
        if (DefaultAllow || current.DefaultAllow || Exceptions.Count != current.Exceptions.Count) return false;
        foreach (var (device, access) in Exceptions)
            if (!current.Exceptions.TryGetValue(device, out var theirs) || theirs != access) return false;
        return true;
    }

    private static long Parse(string field) =>
        field == "*" ? DeviceRule.Wildcard : long.Parse(field, NumberStyles.None, CultureInfo.InvariantCulture);
}
