using Skiff.Images.Fs;

namespace Skiff.Engine.Spec;

/// <summary>
/// /etc/hosts, /etc/hostname and /etc/resolv.conf of a container, written by the engine into the
/// bundle and bind-mounted over the image's (Docker's way: the image's own files stay untouched).
/// </summary>
public static class ContainerFilesWriter
{
    public static ContainerFiles Write(string bundle, string hostname)
    {
        ContainerFiles files = new(Path.Combine(bundle, "hosts"), Path.Combine(bundle, "hostname"), Path.Combine(bundle, "resolv.conf"));
        WriteFile(files.Hostname, hostname + "\n");
        // The container has only a loopback interface until it joins a network: its own name
        // resolves there, so programs that look themselves up (busybox's hostname -i) work.
        WriteFile(files.Hosts, $"""
            127.0.0.1	localhost
            ::1	localhost ip6-localhost ip6-loopback
            fe00::0	ip6-localnet
            ff00::0	ip6-mcastprefix
            ff02::1	ip6-allnodes
            ff02::2	ip6-allrouters
            127.0.0.1	{hostname}

            """);
        WriteFile(files.ResolvConf, ResolvConf());
        return files;
    }

    /// <summary>
    /// The host's resolv.conf without loopback nameservers (the container cannot reach the host's
    /// loopback); Docker's fallback to public resolvers when none is left.
    /// </summary>
    private static string ResolvConf()
    {
        string[] lines = File.Exists("/etc/resolv.conf") ? File.ReadAllLines("/etc/resolv.conf") : [];
        List<string> kept = [.. lines.Where(l => !IsLoopbackNameserver(l))];
        if (!kept.Any(l => l.TrimStart().StartsWith("nameserver", StringComparison.Ordinal)))
            kept.AddRange(["nameserver 8.8.8.8", "nameserver 8.8.4.4"]);
        return string.Join('\n', kept) + "\n";
    }

    private static bool IsLoopbackNameserver(string line)
    {
        string[] parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && parts[0] == "nameserver" && (parts[1].StartsWith("127.", StringComparison.Ordinal) || parts[1] == "::1");
    }

    private static void WriteFile(string path, string content) => AtomicFile.Write(path, content);
}
