namespace Skiff.Runtime.Launch;

/// <summary>
/// Which Linux security modules this host enforces, probed as runc probes them: AppArmor when
/// securityfs shows it and the module says "Y", SELinux when selinuxfs is mounted.
/// </summary>
public sealed record HostSecurityModules(bool AppArmor, bool Selinux)
{
    private static readonly Lazy<HostSecurityModules> Probed = new(Probe);

    public static HostSecurityModules Current => Probed.Value;

    private static HostSecurityModules Probe()
    {
        bool appArmor = Directory.Exists("/sys/kernel/security/apparmor") && ReadFirstByte("/sys/module/apparmor/parameters/enabled") == 'Y';
        bool selinux = File.Exists("/sys/fs/selinux/enforce");
        return new HostSecurityModules(appArmor, selinux);
    }

    private static int ReadFirstByte(string path)
    {
        try
        {
            using FileStream file = File.OpenRead(path);
            return file.ReadByte();
        }
        catch (IOException) { return -1; }
        catch (UnauthorizedAccessException) { return -1; }
    }
}
