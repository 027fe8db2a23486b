using System.Diagnostics;
using System.Text.RegularExpressions;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Linux;

namespace Skiff.Engine.Tests;

/// <summary>
/// Several `rm -f` of one container from separate processes: the container goes, each command
/// succeeds (or says there is no such container, as Docker's does), and nothing of the container
/// stays: no lock file, mount, cgroup or netns. A verb that waits for the lock while rm removes
/// the container finds it gone.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed partial class ConcurrentRemovalTests(EngineSuite suite)
{
    private const int SIGSTOP = 19, SIGCONT = 18;

    [Fact]
    public void Racing_rm_f_of_one_running_container_removes_it_once_and_leaves_nothing()
    {
        for (int round = 0; round < 8; round++)
        {
            string id = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
            List<Process> racers = [];
            try
            {
                for (int i = 0; i < 4; i++) racers.Add(suite.Start("rm", "-f", id));
                foreach (Process racer in racers)
                {
                    // A line or two on each: read one after the other.
                    string output = racer.StandardOutput.ReadToEnd();
                    string error = racer.StandardError.ReadToEnd();
                    racer.WaitForExit();
                    // Docker's CLI: rm -f of a container that is gone says so on stderr and succeeds.
                    Assert.True(racer.ExitCode == 0 && (error == "" && output == id + "\n" || error.Contains($"No such container: {id}")),
                        $"round {round}: rm -f exited {racer.ExitCode}: {output}{error}");
                }
            }
            finally
            {
                foreach (Process racer in racers) racer.Dispose();
                suite.Run("rm", "-f", id);
            }
            AssertGone(id);
        }
        Assert.Empty(suite.LingeringProcesses());
    }

    /// <summary>
    /// The race's narrow window held open: an rm that found the container but has not yet taken
    /// its claim or lock when another rm removes it. It is held at its claim by an exclusive flock
    /// on the claims' file, which is what the container's exit command takes there, and frozen
    /// while it waits; the other rm then removes the container, and the frozen one goes on.
    /// </summary>
    [Fact]
    public void An_rm_f_held_up_while_another_removes_the_container_leaves_no_lock_file()
    {
        string id = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        string claims = Path.Combine(suite.Root, "locks", "cleanup-" + id);
        Process? late = null;
        try
        {
            int fd = Interop.Libc.Open(claims, FileFlags.O_RDWR | FileFlags.O_CREAT | FileFlags.O_CLOEXEC, 0x180);
            Assert.True(fd >= 0, $"open {claims}: {Errno.Describe(Errno.Last)}");
            try
            {
                Assert.Equal(0, Interop.Libc.Flock(fd, FileFlags.LOCK_EX));
                late = suite.Start("rm", "-f", id);
                while (!WaitsForFlock(late.Id, "READ"))
                {
                    if (late.HasExited) Assert.Fail($"rm -f ended before it claimed the cleanup: {late.StandardError.ReadToEnd()}");
                    Thread.Sleep(5);
                }
                Native.Kill(late.Id, SIGSTOP);
            }
            finally
            {
                Interop.Libc.Close(fd);
            }
            suite.Ok("rm", "-f", id);
            Native.Kill(late.Id, SIGCONT);
            string output = late.StandardOutput.ReadToEnd();
            string error = late.StandardError.ReadToEnd();
            late.WaitForExit();
            Assert.True(late.ExitCode == 0, $"the held-up rm -f exited {late.ExitCode}: {output}{error}");
        }
        finally
        {
            if (late is { HasExited: false })
            {
                Native.Kill(late.Id, SIGCONT);
                late.WaitForExit();
            }
            late?.Dispose();
            suite.Run("rm", "-f", id);
        }
        AssertGone(id);
        Assert.Empty(suite.LingeringProcesses());
    }

    /// <summary>
    /// A rename that found the container and waits for its lock behind an rm that removes it must
    /// say the container is gone rather than rename a record that no longer exists. The test holds
    /// the lock until both wait on it; the kernel hands a released flock to its first waiter, rm.
    /// </summary>
    [Fact]
    public void A_rename_waiting_behind_rm_for_the_lock_says_there_is_no_such_container()
    {
        string name = "held-" + Guid.NewGuid().ToString("N")[..8];
        suite.Ok("run", "--name", name, "busybox", "true");
        string id = suite.Ok("inspect", "-f", "{{.Id}}", name).Trim();
        string lockFile = Path.Combine(suite.Root, "locks", "container-" + id);
        Process? rm = null, rename = null;
        try
        {
            int fd = Interop.Libc.Open(lockFile, FileFlags.O_RDWR | FileFlags.O_CREAT | FileFlags.O_CLOEXEC, 0x180);
            Assert.True(fd >= 0, $"open {lockFile}: {Errno.Describe(Errno.Last)}");
            try
            {
                Assert.Equal(0, Interop.Libc.Flock(fd, FileFlags.LOCK_EX));
                Assert.Equal(0, Interop.Libc.Fstat(fd, out Interop.StatBuffer held));
                ulong inode = held.Inode;
                rm = suite.Start("rm", name);
                WaitUntilWaiting(rm, inode);
                rename = suite.Start("rename", name, name + "-new");
                WaitUntilWaiting(rename, inode);
            }
            finally
            {
                Interop.Libc.Close(fd);
            }
            string removed = rm.StandardOutput.ReadToEnd() + rm.StandardError.ReadToEnd();
            rm.WaitForExit();
            Assert.True(rm.ExitCode == 0, $"rm exited {rm.ExitCode}: {removed}");
            string output = rename.StandardOutput.ReadToEnd();
            string error = rename.StandardError.ReadToEnd();
            rename.WaitForExit();
            Assert.True(rename.ExitCode != 0, $"the rename of a removed container succeeded: {output}{error}");
            Assert.Contains($"No such container: {name}", error);
        }
        finally
        {
            foreach (Process? process in (Process?[])[rm, rename])
            {
                process?.WaitForExit();
                process?.Dispose();
            }
            suite.Run("rm", "-f", id);
        }
        AssertGone(id);
    }

    private static void WaitUntilWaiting(Process process, ulong inode)
    {
        while (!WaitsForFlock(process.Id, "WRITE", inode))
        {
            if (process.HasExited) Assert.Fail($"skiff ended before it waited for the container's lock: {process.StandardError.ReadToEnd()}");
            Thread.Sleep(5);
        }
    }

    private void AssertGone(string id)
    {
        Assert.Equal("", suite.Ok("ps", "-aq"));
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(suite.Root, "locks")), f => f.EndsWith(id, StringComparison.Ordinal));
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.False(File.Exists(Path.Combine(suite.Root, "netns", id)), "netns left behind");
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
        Assert.False(Directory.Exists(Path.Combine(suite.Root, "containers", id)), "bundle left behind");
    }

    /// <summary>Whether the process is blocked on a flock of the kind, on any file or the inode's (/proc/locks marks a waiter with "->").</summary>
    private static bool WaitsForFlock(int pid, string kind, ulong? inode = null) =>
        File.ReadLines("/proc/locks").Any(line => BlockedWaiter().Match(line) is { Success: true } m
            && m.Groups[1].Value == kind && m.Groups[2].Value == pid.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && (inode is null || m.Groups[3].Value == inode.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"-> FLOCK\s+ADVISORY\s+(READ|WRITE)\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s")]
    private static partial Regex BlockedWaiter();
}
