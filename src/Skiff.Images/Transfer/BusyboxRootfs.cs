using System.Diagnostics;
using System.Formats.Tar;
using System.Text;

namespace Skiff.Images.Transfer;

/// <summary>
/// The built-in default image: a root filesystem around Debian's static busybox (busybox-static),
/// with every applet linked at the path busybox itself reports and a minimal /etc. All entries
/// carry the binary's mtime, so one busybox package always yields the same image digest.
/// </summary>
public static class BusyboxRootfs
{
    public const string DefaultBinary = "/bin/busybox";

    public static DateTimeOffset Timestamp(string binary) => new(File.GetLastWriteTimeUtc(binary), TimeSpan.Zero);

    public static byte[] Build(string binary)
    {
        if (!File.Exists(binary)) throw new ImageException($"busybox {binary}: no such file (install Debian's busybox-static)");
        DateTimeOffset time = Timestamp(binary);
        List<string> applets = Applets(binary);
        using MemoryStream output = new();
        using (TarWriter tar = new(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach ((string path, int mode) in (ReadOnlySpan<(string, int)>)[
                ("bin/", 0x1ed), ("dev/", 0x1ed), ("etc/", 0x1ed), ("home/", 0x1ed), ("proc/", 0x1ed), ("root/", 0x1c0),
                ("sbin/", 0x1ed), ("sys/", 0x1ed), ("tmp/", 0x3ff), ("usr/", 0x1ed), ("usr/bin/", 0x1ed), ("usr/sbin/", 0x1ed),
                ("var/", 0x1ed), ("var/spool/", 0x1ed), ("var/spool/mail/", 0x1ed), ("var/www/", 0x1ed)])
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, path) { Mode = (UnixFileMode)mode, ModificationTime = time });
            }
            using (FileStream busybox = File.OpenRead(binary))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { DataStream = busybox, Mode = (UnixFileMode)0x1ed, ModificationTime = time });
            foreach (string applet in applets)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, applet) { LinkName = "bin/busybox", Mode = (UnixFileMode)0x1ed, ModificationTime = time });
            WriteFile(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nbin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\nsync:x:4:100:sync:/bin:/bin/sync\nmail:x:8:8:mail:/var/spool/mail:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\noperator:x:37:37:Operator:/var:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n", time);
            WriteFile(tar, "etc/group", "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nwheel:x:10:root\nmail:x:8:\nwww-data:x:33:\noperator:x:37:\nusers:x:100:\nnogroup:x:65534:\n", time);
            WriteFile(tar, "etc/shadow", "root:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n", time, 0x180);
            WriteFile(tar, "etc/nsswitch.conf", "hosts: files dns\nnetworks: files\npasswd: files\ngroup: files\nshadow: files\n", time);
        }
        return output.ToArray();
    }

    private static void WriteFile(TarWriter tar, string path, string content, DateTimeOffset time, int mode = 0x1a4) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)mode, ModificationTime = time,
        });

    /// <summary>busybox --list-full: each applet's install path, relative to /.</summary>
    private static List<string> Applets(string binary)
    {
        ProcessStartInfo start = new(binary, "--list-full") { RedirectStandardOutput = true, UseShellExecute = false };
        using Process process = Process.Start(start) ?? throw new ImageException($"busybox {binary}: cannot run it");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new ImageException($"busybox {binary} --list-full: exit {process.ExitCode}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Archive.TarPath.Clean)
            .Where(path => path.Length > 0 && path != "bin/busybox")
            .Distinct()
            .Order(StringComparer.Ordinal)];
    }
}
