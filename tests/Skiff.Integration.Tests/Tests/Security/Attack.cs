using System.Diagnostics;
using System.Security.Cryptography;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests.Security;

/// <summary>
/// What the CVE regression tests share: host canaries in the test's private directory whose
/// state is compared before and after an attack, and a private copy of the runtime binary for
/// attacks that aim at the binary itself (a successful attack must never damage the runtime
/// the rest of the suite runs).
/// </summary>
internal static class Attack
{
    /// <summary>A host directory with one file in it, owned by the test; <see cref="Snapshot"/> records its whole state.</summary>
    public static string MakeCanaryDir(TestContainer c, string name = "host-canary")
    {
        var dir = Path.Combine(c.Dir, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "canary"), "host canary\n");
        return dir;
    }

    /// <summary>Every entry under dir with its type, size and content hash, plus whether anything is mounted there.</summary>
    public static string Snapshot(string dir)
    {
        var lines = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order())
        {
            var info = new FileInfo(entry);
            if (info.LinkTarget is { } target) lines.Add($"{entry} -> {target}");
            else if (Directory.Exists(entry)) lines.Add($"{entry}/");
            else lines.Add($"{entry} {info.Length} {Hash(entry)}");
        }
        lines.AddRange(MountInfo.Under(dir).Select(m => $"mount: {m}"));
        return string.Join('\n', lines);
    }

    public static string Hash(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    /// <summary>Writes an executable file into the rootfs (a script, or a tool the attack needs).</summary>
    public static void WriteExecutable(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    /// <summary>Adds a namespace entry that joins the namespace of a running process.</summary>
    public static void JoinNamespace(TestContainer c, string type, int pid, string nsName)
    {
        c.Linux.Namespaces!.RemoveAll(n => n.Type == type);
        c.Linux.Namespaces!.Add(new LinuxNamespace { Type = type, Path = $"/proc/{pid}/ns/{nsName}" });
    }

    /// <summary>
    /// Runs a runtime (or a wrapper around it) with stdio in files of the container's directory,
    /// as RuntimeCli does: detached containers inherit them.
    /// </summary>
    public static CliResult InvokeRuntime(string executable, TestContainer owner, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var n = Interlocked.Increment(ref s_sequence);
        var stdout = Path.Combine(owner.Dir, $"copy-{n}.out");
        var stderr = Path.Combine(owner.Dir, $"copy-{n}.err");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" </dev/null >\"$SKT_STDOUT\" 2>\"$SKT_STDERR\"");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(executable);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SKT_STDOUT"] = stdout;
        psi.Environment["SKT_STDERR"] = stderr;
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start /bin/sh");
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{executable} did not exit within {timeout.TotalSeconds:0}s: {string.Join(' ', args)}");
        }
        return new CliResult([Path.GetFileName(executable), .. args], p.ExitCode, Read(stdout), Read(stderr), null);
    }

    private static int s_sequence;

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    /// <summary>Drops the config's /dev tmpfs, so the image's own /dev (hostile here) is what the runtime works in.</summary>
    public static void UseRootfsDev(TestContainer c) => c.Spec.Mounts!.RemoveAll(m => m.Destination == "/dev");

    /// <summary>Replaces a path of the rootfs with a symlink (whatever was there is removed).</summary>
    public static void Symlink(TestContainer c, string pathInRootfs, string target)
    {
        var at = Path.Combine(c.Rootfs, pathInRootfs.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(at)!);
        if (Directory.Exists(at) && new FileInfo(at).LinkTarget is null) Directory.Delete(at, recursive: true);
        else if (File.Exists(at) || new FileInfo(at).LinkTarget is not null) File.Delete(at);
        File.CreateSymbolicLink(at, target);
    }
}

/// <summary>
/// Swaps two names in a host directory with renameat2(RENAME_EXCHANGE) in a loop, as a process of
/// another container sharing the volume would: the path the runtime resolves flips between a
/// directory and a symlink out of the rootfs.
/// </summary>
internal sealed partial class ExchangeRace : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public long Swaps { get; private set; }

    public ExchangeRace(string a, string b)
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
                if (RenameAt2(-100, a, -100, b, 2 /* RENAME_EXCHANGE */) == 0) Swaps++;
        }) { IsBackground = true };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);
}

/// <summary>
/// A copy of the runtime under test in the test's own directory, run with the same --root as the
/// container's own <see cref="RuntimeCli"/> (so the container's Dispose still cleans up with the
/// real binary). Stdio goes to files, as RuntimeCli does.
/// </summary>
internal sealed class RuntimeCopy
{
    private readonly TestContainer _owner;

    public string BinaryPath { get; }

    public string OriginalHash { get; }

    /// <param name="immutable">chattr +i on the copy, as scripts/install.sh leaves the installed binary.</param>
    public RuntimeCopy(TestContainer owner, bool immutable = false)
    {
        _owner = owner;
        var dir = Path.Combine(owner.Dir, "runtime-copy");
        Directory.CreateDirectory(dir);
        BinaryPath = Path.Combine(dir, Path.GetFileName(RuntimeUnderTest.BinaryPath));
        File.Copy(RuntimeUnderTest.BinaryPath, BinaryPath);
        File.SetUnixFileMode(BinaryPath, (UnixFileMode)Convert.ToInt32("755", 8));
        OriginalHash = Attack.Hash(BinaryPath);
        if (immutable)
        {
            // Registered first so it runs even if chattr half-succeeded: the test directory must stay removable.
            owner.OnDispose(() => HostCommand.Run("chattr", "-i", BinaryPath));
            HostCommand.Run("chattr", "+i", BinaryPath);
        }
    }

    public bool Unchanged => Attack.Hash(BinaryPath) == OriginalHash;

    public CliResult Invoke(TestContainer c, params string[] args) => Invoke(c, TimeSpan.FromSeconds(60), args);

    public CliResult Invoke(TestContainer c, TimeSpan timeout, params string[] args) =>
        Attack.InvokeRuntime(BinaryPath, _owner, ["--root", c.Cli.StateRoot, .. args], timeout);

    /// <summary>What every invocation (and the containers that inherited its stdio) printed, for failure messages.</summary>
    public string Outputs() => string.Join('\n', Directory.EnumerateFiles(_owner.Dir, "copy-*").Order()
        .Select(f => $"{Path.GetFileName(f)}: {File.ReadAllText(f).Trim()}"));
}
