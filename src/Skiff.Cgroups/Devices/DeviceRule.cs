using System.Text;

namespace Skiff.Cgroups.Devices;

[Flags]
internal enum DeviceAccess : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    Mknod = 4,
    All = Read | Write | Mknod,
}

/// <summary>
/// One device cgroup entry after validation: type 'a' (every device), 'b' or 'c'; major/minor -1 for
/// "*". Written to the kernel as "c 1:3 rwm".
/// </summary>
internal readonly record struct DeviceRule(char Type, long Major, long Minor, DeviceAccess Access, bool Allow)
{
    public const long Wildcard = -1;

    public override string ToString() => $"{Type} {Number(Major)}:{Number(Minor)} {AccessString(Access)}";

    public static string AccessString(DeviceAccess access)
    {
        var text = new StringBuilder(3);
        if (access.HasFlag(DeviceAccess.Read)) text.Append('r');
        if (access.HasFlag(DeviceAccess.Write)) text.Append('w');
        if (access.HasFlag(DeviceAccess.Mknod)) text.Append('m');
        return text.ToString();
    }

    public static bool TryParseAccess(string text, out DeviceAccess access)
    {
        access = DeviceAccess.None;
        foreach (char c in text)
        {
            access |= c switch
            {
                'r' => DeviceAccess.Read,
                'w' => DeviceAccess.Write,
                'm' => DeviceAccess.Mknod,
                _ => (DeviceAccess)0x80,
            };
        }
        return access != DeviceAccess.None && (access & ~DeviceAccess.All) == 0;
    }

    private static string Number(long n) => n == Wildcard ? "*" : n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
