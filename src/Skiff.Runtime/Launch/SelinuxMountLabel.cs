namespace Skiff.Runtime.Launch;

/// <summary>
/// linux.mountLabel as runc applies it: where SELinux runs, the file systems the runtime mounts
/// for the container carry context="LABEL" in their mount data, so their files get the
/// container's label. procfs and sysfs keep their own labels; bind mounts show the source's.
/// Where SELinux is off the label means nothing and the data is left as it is.
/// </summary>
public static class SelinuxMountLabel
{
    public static string? Apply(string? type, string? data, string? mountLabel, HostSecurityModules lsm)
    {
        if (string.IsNullOrEmpty(mountLabel) || type is "proc" or "sysfs" or "bind" or "cgroup" or "cgroup2" or "mqueue" || !lsm.Selinux)
            return data;
        string context = $"context=\"{mountLabel}\"";
        return string.IsNullOrEmpty(data) ? context : data + "," + context;
    }
}
