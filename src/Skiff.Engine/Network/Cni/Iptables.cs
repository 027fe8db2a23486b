namespace Skiff.Engine.Network.Cni;

/// <summary>iptables or ip6tables, waiting for the xtables lock as the plugins do.</summary>
internal static class Iptables
{
    /// <summary>Runs <paramref name="tool"/> with <paramref name="args"/>; its exit status (127 when missing) and stdout.</summary>
    public static (int Exit, string Output) Run(string tool, params string[] args)
    {
        (int exit, string output, _) = Execute(tool, args);
        return (exit, output);
    }

    /// <summary>As <see cref="Run"/>, with stderr instead of stdout: what to tell the user when a change is refused.</summary>
    public static (int Exit, string Errors) RunWithErrors(string tool, params string[] args)
    {
        (int exit, _, string errors) = Execute(tool, args);
        return (exit, errors);
    }

    private static (int Exit, string Output, string Errors) Execute(string tool, string[] args) => HostTool.Run(tool, ["--wait", .. args]);
}
