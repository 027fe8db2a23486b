using System.Diagnostics;
using Skiff.Oci.Runtime;
using Process = System.Diagnostics.Process;

namespace Skiff.Cgroups.GuestProbe;

/// <summary>A private cgroup parent per check and the processes it starts, all removed afterwards.</summary>
internal sealed class Sandbox : IDisposable
{
    private readonly List<Process> _processes = [];

    public Sandbox()
    {
        Layout = CgroupLayout.Detect();
        Parent = "/skiff-probe-" + Guid.NewGuid().ToString("N")[..8];
    }

    public CgroupLayout Layout { get; }

    public string Parent { get; }

    public ICgroup Open(string name) => Cgroup.Open(Layout, $"{Parent}/{name}", name);

    public ICgroup CreateWith(string name, LinuxResources? resources)
    {
        var cgroup = Open(name);
        cgroup.Create();
        cgroup.Apply(resources);
        return cgroup;
    }

    public string Dir(string name) => Layout.UnifiedMountPoint + Parent + "/" + name;

    public static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();

    public Process Start(string script)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        var process = Process.Start(info)!;
        _processes.Add(process);
        return process;
    }

    /// <summary>Starts script (which begins with `read x`), puts it in the cgroup, then lets it go.</summary>
    public Process StartIn(ICgroup cgroup, string script)
    {
        var process = Start("read x; " + script);
        cgroup.AddProcess(process.Id);
        process.StandardInput.WriteLine("go");
        process.StandardInput.Flush();
        return process;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        Remove(Layout.UnifiedMountPoint + Parent);
    }

    private static void Remove(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (string child in Directory.GetDirectories(dir)) Remove(child);
        if (File.Exists(dir + "/cgroup.freeze")) File.WriteAllText(dir + "/cgroup.freeze", "0");
        for (int attempt = 0; attempt < 200; attempt++)
        {
            if (File.Exists(dir + "/cgroup.kill")) File.WriteAllText(dir + "/cgroup.kill", "1");
            try
            {
                Directory.Delete(dir);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(20);
            }
        }
    }
}
