using System.Diagnostics;
using Skiff.Oci.Runtime;
using Process = System.Diagnostics.Process;

namespace Skiff.Cgroups.Tests;

/// <summary>
/// A private cgroup parent (/skiff-cgtest-&lt;random&gt;) in every hierarchy of this host, and the
/// processes a test starts. The v2 guest's probe compiles this file too (tests/v2-guest/probe).
/// Dispose kills those processes and removes the parent everywhere, whatever the test left behind.
/// </summary>
public sealed class CgroupSandbox : IDisposable
{
    private readonly List<Process> _processes = [];

    public CgroupSandbox() : this(CgroupLayout.Detect())
    {
    }

    /// <summary>A sandbox on a given view of the host's hierarchies (a pure v1 one, say).</summary>
    public CgroupSandbox(CgroupLayout layout)
    {
        Layout = layout;
        Parent = "/skiff-cgtest-" + Guid.NewGuid().ToString("N")[..12];
    }

    public CgroupLayout Layout { get; }

    /// <summary>The private parent, an absolute cgroupsPath.</summary>
    public string Parent { get; }

    public ICgroup Open(string name, string id = "test") => Cgroup.Open(Layout, $"{Parent}/{name}", id);

    public ICgroup CreateWith(string name, LinuxResources? resources)
    {
        var cgroup = Open(name);
        cgroup.Create();
        cgroup.Apply(resources);
        return cgroup;
    }

    /// <summary>The host directory of a cgroupsPath in the hierarchy that carries a v1 controller.</summary>
    public string V1Dir(string controller, string name) =>
        Layout.MountPointOf(controller) + Parent + "/" + name;

    public string V2Dir(string name) => Layout.UnifiedMountPoint + Parent + "/" + name;

    /// <summary>Whether a controller is driven through cgroup v2 here (it has no v1 hierarchy).</summary>
    public bool OnV2(string controller) => Layout.MountPointOf(controller) is null;

    /// <summary>The host directory of a cgroupsPath where a controller's files are, v1 or v2.</summary>
    public string Dir(string controller, string name) => OnV2(controller) ? V2Dir(name) : V1Dir(controller, name);

    public static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();

    /// <summary>Starts /bin/sh -c script with stdin and stdout piped; the script typically waits on `read` until the test has placed it.</summary>
    public Process Start(string script)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        var process = Process.Start(info)!;
        _processes.Add(process);
        return process;
    }

    public Process StartSleep() => Start("exec sleep 1000");

    /// <summary>Starts script behind a `read x`, puts it in the cgroup, then lets it go: the script runs only inside.</summary>
    public Process StartIn(ICgroup cgroup, string script)
    {
        var process = Start("read x; " + script);
        cgroup.AddProcess(process.Id);
        process.StandardInput.WriteLine("go");
        process.StandardInput.Flush();
        return process;
    }

    /// <summary>All directories this sandbox may have made, one per hierarchy.</summary>
    public IEnumerable<string> ParentDirs()
    {
        foreach (var h in Layout.Hierarchies) yield return h.MountPoint + Parent;
        if (Layout.UnifiedMountPoint is { } unified) yield return unified + Parent;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        foreach (string dir in ParentDirs()) RemoveTree(dir);
    }

    private static void RemoveTree(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (string child in Directory.GetDirectories(dir)) RemoveTree(child);
        // Thaw and kill anything a failed test left inside, then wait for the kernel to let go.
        if (File.Exists(dir + "/freezer.state")) TryWrite(dir + "/freezer.state", "THAWED");
        if (File.Exists(dir + "/cgroup.freeze")) TryWrite(dir + "/cgroup.freeze", "0");
        for (int attempt = 0; attempt < 100; attempt++)
        {
            foreach (string line in File.ReadAllLines(dir + "/cgroup.procs"))
                if (int.TryParse(line, out int pid)) KillQuietly(pid);
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

    private static void TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (IOException)
        {
        }
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            Process.GetProcessById(pid).Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }
}
