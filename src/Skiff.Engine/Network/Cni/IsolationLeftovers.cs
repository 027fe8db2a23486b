namespace Skiff.Engine.Network.Cni;

/// <summary>
/// The firewall plugin's <c>ingressPolicy: same-bridge</c> adds two rules per bridge (in
/// CNI-ISOLATION-STAGE-1 and -2) and never removes them; they go when skiff deletes the bridge.
/// </summary>
internal static class IsolationLeftovers
{
    private const string Comment = "CNI firewall plugin rules (ingressPolicy: same-bridge)";

    public static void Remove(string bridge, bool ipv6)
    {
        foreach (string tool in ipv6 ? (string[])["iptables", "ip6tables"] : ["iptables"])
        {
            // A rule that is not there (the plugin never ran, or a second teardown) is fine.
            Iptables.Run(tool, "-t", "filter", "-D", "CNI-ISOLATION-STAGE-1", "-i", bridge, "!", "-o", bridge, "-m", "comment", "--comment", Comment, "-j", "CNI-ISOLATION-STAGE-2");
            Iptables.Run(tool, "-t", "filter", "-D", "CNI-ISOLATION-STAGE-2", "-o", bridge, "-m", "comment", "--comment", Comment, "-j", "DROP");
        }
    }
}
