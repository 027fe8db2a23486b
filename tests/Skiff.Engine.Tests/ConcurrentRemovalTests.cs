using System.Diagnostics;
using System.Text.RegularExpressions;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Linux;

namespace Skiff.Engine.Tests;

/// <summary>
/// Several `rm -f` of one container from separate processes: the container goes, each command
/// succeeds (or says there is no such container, as Docker's does), and nothing of the container
/// stays: no lock file, mount, cgroup or netns.
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
                    Assert.True(racer.ExitCode == 0 && error == "" && output == id + "\n" || error.Contains($"No such container: {id}"),
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
                while (!WaitsForSharedFlock(late.Id))
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

    private void AssertGone(string id)
    {
        Assert.Equal("", suite.Ok("ps", "-aq"));
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(suite.Root, "locks")), f => f.EndsWith(id, StringComparison.Ordinal));
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.False(File.Exists(Path.Combine(suite.Root, "netns", id)), "netns left behind");
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
        Assert.False(Directory.Exists(Path.Combine(suite.Root, "containers", id)), "bundle left behind");
    }

    /// <summary>Whether the process is blocked on a shared flock (/proc/locks marks a waiter with "->").</summary>
    private static bool WaitsForSharedFlock(int pid) =>
        File.ReadLines("/proc/locks").Any(line => BlockedReader().Match(line) is { Success: true } m && m.Groups[1].Value == pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"-> FLOCK\s+ADVISORY\s+READ\s+(\d+)\s")]
    private static partial Regex BlockedReader();
}
