using System.Diagnostics;

namespace Skiff.Engine.Network.Cni;

/// <summary>Whether this kernel can make links of a kind (macvlan, ipvlan): a kernel built without one refuses only when a container is set up.</summary>
internal static class LinkKind
{
    /// <summary>
    /// Asks the kernel for a link of the kind with no parent: a kernel that has the driver refuses
    /// it for the missing parent (EINVAL), one without refuses the kind itself ("Unknown device
    /// type"). Nothing is made either way.
    /// </summary>
    public static bool Supported(string kind)
    {
        ProcessStartInfo start = new("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["link", "add", "name", "skprobe" + Environment.ProcessId % 100000, "type", kind]) start.ArgumentList.Add(arg);
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        using Process process = Process.Start(start) ?? throw new EngineException("starting ip failed");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        _ = output.Result;
        return !errors.Contains("Unknown device type", StringComparison.Ordinal);
    }
}
