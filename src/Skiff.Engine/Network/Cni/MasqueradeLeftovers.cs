using System.Security.Cryptography;
using System.Text;

namespace Skiff.Engine.Network.Cni;

/// <summary>
/// The bridge plugin (containernetworking-plugins 1.1.1) learns which masquerade rules to delete
/// from the addresses still on the container's interface, so a DEL after the netns is gone, or
/// after the addresses were flushed, leaves the container's nat chain and its POSTROUTING jump behind. The plugin names that chain after the
/// network name and container id ("CNI-" and the first 24 hex digits of SHA-512(name + id)); this
/// removes the chain and the jumps to it.
/// </summary>
internal static class MasqueradeLeftovers
{
    public static string ChainName(string network, string containerId) =>
        "CNI-" + Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(network + containerId)))[..24];

    public static void Remove(string network, string containerId, bool ipv4, bool ipv6)
    {
        string chain = ChainName(network, containerId);
        foreach (string tool in (string[])["iptables", "ip6tables"])
        {
            if (!(tool == "iptables" ? ipv4 : ipv6)) continue;
            if (Iptables.Run(tool, "-t", "nat", "-S", chain).Exit != 0) continue;
            (int exit, string rules) = Iptables.Run(tool, "-t", "nat", "-S", "POSTROUTING");
            if (exit == 0)
            {
                foreach (string rule in rules.Split('\n'))
                {
                    List<string> words = Split(rule);
                    int jump = words.IndexOf("-j");
                    if (words.Count < 2 || words[0] != "-A" || jump < 0 || jump + 1 >= words.Count || words[jump + 1] != chain) continue;
                    Iptables.Run(tool, ["-t", "nat", "-D", .. words.Skip(1)]);
                }
            }
            Iptables.Run(tool, "-t", "nat", "-F", chain);
            Iptables.Run(tool, "-t", "nat", "-X", chain);
        }
    }

    /// <summary>Splits an <c>iptables -S</c> line into arguments: words, and "quoted strings" with \" inside.</summary>
    internal static List<string> Split(string line)
    {
        List<string> words = [];
        StringBuilder word = new();
        bool quoted = false, any = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\') word.Append(line[++i]);
                else if (c == '"') quoted = false;
                else word.Append(c);
            }
            else if (c == '"') { quoted = true; any = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (any) words.Add(word.ToString());
                word.Clear();
                any = false;
            }
            else { word.Append(c); any = true; }
        }
        if (any) words.Add(word.ToString());
        return words;
    }
}
